DROP INDEX "message_ids_xmpp_lookup";--> statement-breakpoint
CREATE INDEX "message_ids_legacy_lookup" ON "message_ids" USING btree ("user_id","chat","legacy_id","id");--> statement-breakpoint
CREATE INDEX "message_ids_xmpp_lookup" ON "message_ids" USING btree ("user_id","chat","xmpp_id","id");