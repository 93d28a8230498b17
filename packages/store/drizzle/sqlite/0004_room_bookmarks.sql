CREATE TABLE `room_bookmarks` (
	`user_id` integer NOT NULL,
	`room` text NOT NULL,
	`via` text NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`user_id`, `room`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "room_bookmarks_via_check" CHECK("room_bookmarks"."via" in ('pep', 'invitation'))
);
