import type { Db } from '../../db/client.ts';

export interface TemplateRow {
  id: string;
  customer_id: string;
  subject_ref: string;
  /** The descriptor sealed under the customer's data key (empty once erased). */
  descriptor: Uint8Array;
  model: string;
  created_at: Date;
}

export const toBytes = (d: Float32Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
export const fromBytes = (b: Uint8Array) => {
  const copy = Uint8Array.from(b);
  return new Float32Array(copy.buffer, 0, Math.floor(copy.byteLength / 4));
};

export async function insertTemplate(
  db: Db,
  t: {
    id: string;
    customerId: string;
    subjectRef: string;
    sealedDescriptor: Uint8Array;
    model: string;
    now: Date;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO face_templates (id, customer_id, subject_ref, descriptor, model, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [t.id, t.customerId, t.subjectRef, t.sealedDescriptor, t.model, t.now],
  );
}

export async function listTemplates(db: Db, customerId: string): Promise<TemplateRow[]> {
  return db.query<TemplateRow>(
    `SELECT id, customer_id, subject_ref, descriptor, model, created_at FROM face_templates
     WHERE customer_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
    [customerId],
  );
}

export async function deleteTemplate(db: Db, customerId: string, id: string, now: Date): Promise<boolean> {
  const rows = await db.query(
    `UPDATE face_templates SET deleted_at = $3 WHERE id = $1 AND customer_id = $2 AND deleted_at IS NULL RETURNING id`,
    [id, customerId, now],
  );
  return rows.length > 0;
}
