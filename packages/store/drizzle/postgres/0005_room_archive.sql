CREATE TABLE "room_archive" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "room_archive_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" integer NOT NULL,
	"room" text NOT NULL,
	"archive_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"nick" text,
	"occupant_id" text,
	"message" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "room_archive" ADD CONSTRAINT "room_archive_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "room_archive_id_unique" ON "room_archive" USING btree ("user_id","room","archive_id");--> statement-breakpoint
CREATE INDEX "room_archive_order" ON "room_archive" USING btree ("user_id","room","id");--> statement-breakpoint
CREATE INDEX "room_archive_time" ON "room_archive" USING btree ("user_id","room","at");