CREATE TABLE "room_bookmarks" (
	"user_id" integer NOT NULL,
	"room" text NOT NULL,
	"via" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "room_bookmarks_user_id_room_pk" PRIMARY KEY("user_id","room"),
	CONSTRAINT "room_bookmarks_via_check" CHECK ("room_bookmarks"."via" in ('pep', 'invitation'))
);
--> statement-breakpoint
ALTER TABLE "room_bookmarks" ADD CONSTRAINT "room_bookmarks_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;