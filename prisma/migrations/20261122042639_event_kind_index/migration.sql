-- CreateIndex
CREATE INDEX "Event_kind_id_idx" ON "Event"("kind", "id");
