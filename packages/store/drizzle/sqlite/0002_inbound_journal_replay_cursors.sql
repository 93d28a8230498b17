CREATE TABLE `inbound_journal` (
	`id` text PRIMARY KEY NOT NULL,
	`user_jid` text NOT NULL,
	`stanza_id` text,
	`from_jid` text NOT NULL,
	`to_jid` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `replay_cursors` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`cursor` text NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
