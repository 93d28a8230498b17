CREATE TABLE `room_archive` (
	`id` integer PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`room` text NOT NULL,
	`archive_id` text NOT NULL,
	`at` integer NOT NULL,
	`nick` text,
	`occupant_id` text,
	`message` text NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `room_archive_id_unique` ON `room_archive` (`user_id`,`room`,`archive_id`);--> statement-breakpoint
CREATE INDEX `room_archive_order` ON `room_archive` (`user_id`,`room`,`id`);--> statement-breakpoint
CREATE INDEX `room_archive_time` ON `room_archive` (`user_id`,`room`,`at`);