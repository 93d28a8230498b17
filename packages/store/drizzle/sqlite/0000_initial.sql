CREATE TABLE `contacts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`legacy_id` text NOT NULL,
	`jid_local` text NOT NULL,
	`name` text,
	`is_friend` integer DEFAULT false NOT NULL,
	`added_to_roster` integer DEFAULT false NOT NULL,
	`extra` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `contacts_user_legacy_id_unique` ON `contacts` (`user_id`,`legacy_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `contacts_user_jid_local_unique` ON `contacts` (`user_id`,`jid_local`);--> statement-breakpoint
CREATE TABLE `message_ids` (
	`id` integer PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`chat` text NOT NULL,
	`legacy_id` text NOT NULL,
	`xmpp_id` text NOT NULL,
	`direction` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "message_ids_direction_check" CHECK("message_ids"."direction" in ('in', 'out'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `message_ids_pair_unique` ON `message_ids` (`user_id`,`chat`,`legacy_id`,`xmpp_id`);--> statement-breakpoint
CREATE INDEX `message_ids_legacy_lookup` ON `message_ids` (`user_id`,`chat`,`legacy_id`,`id`);--> statement-breakpoint
CREATE INDEX `message_ids_xmpp_lookup` ON `message_ids` (`user_id`,`chat`,`xmpp_id`,`id`);--> statement-breakpoint
CREATE TABLE `pending_registrations` (
	`id` text PRIMARY KEY NOT NULL,
	`jid` text NOT NULL,
	`front_end` text NOT NULL,
	`state` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	CONSTRAINT "pending_registrations_front_end_check" CHECK("pending_registrations"."front_end" in ('adhoc', 'chat'))
);
--> statement-breakpoint
CREATE INDEX `pending_registrations_jid_lookup` ON `pending_registrations` (`jid`,`front_end`);--> statement-breakpoint
CREATE INDEX `pending_registrations_expiry` ON `pending_registrations` (`expires_at`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`jid` text NOT NULL,
	`registration` text NOT NULL,
	`legacy_data` text,
	`preferences` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`last_login_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_jid_unique` ON `users` (`jid`);