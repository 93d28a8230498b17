CREATE TABLE "pending_registrations" (
	"id" text PRIMARY KEY NOT NULL,
	"jid" text NOT NULL,
	"front_end" text NOT NULL,
	"state" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pending_registrations_front_end_check" CHECK ("pending_registrations"."front_end" in ('adhoc', 'chat'))
);
--> statement-breakpoint
CREATE INDEX "pending_registrations_jid_lookup" ON "pending_registrations" USING btree ("jid","front_end");--> statement-breakpoint
CREATE INDEX "pending_registrations_expiry" ON "pending_registrations" USING btree ("expires_at");