-- The liveness sequence's frame at each action the engine saw (sealed like every upload, kept and
-- erased with the session's images), so a reviewer sees the head turns, not only the frontal frame.
ALTER TABLE session_uploads DROP CONSTRAINT session_uploads_slot_check;
ALTER TABLE session_uploads ADD CONSTRAINT session_uploads_slot_check
  CHECK (slot IN ('document_front', 'document_back', 'selfie', 'liveness', 'liveness_frames', 'chip'));
