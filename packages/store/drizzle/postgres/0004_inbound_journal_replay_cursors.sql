CREATE TABLE "inbound_journal" (
	"id" text PRIMARY KEY NOT NULL,
	"user_jid" text NOT NULL,
	"stanza_id" text,
	"from_jid" text NOT NULL,
	"to_jid" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "replay_cursors" (
	"user_id" integer PRIMARY KEY NOT NULL,
	"cursor" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "replay_cursors" ADD CONSTRAINT "replay_cursors_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;