import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../lib/clock.ts';

/**
 * The recognition engines a session can use, found at start-up. Each engine is developed in its
 * own module; a check whose engine is not in this build is not offered (`checks` asking for it →
 * 400 ERR_CHECK_UNAVAILABLE). Loaded by path so this module builds without them.
 */
export interface AnalyzedFace {
  descriptor: Float32Array;
  quality: { issues: string[] };
}
export interface FaceEngine {
  analyze(buf: Buffer, kind: 'selfie' | 'document' | 'auto'): Promise<AnalyzedFace>;
  compare(a: AnalyzedFace, b: AnalyzedFace): { similarity: number; threshold: number; match: boolean };
  templates: {
    enroll(customerId: string, subjectRef: string, descriptor: Float32Array): Promise<{ id: string }>;
    findDuplicates(
      customerId: string,
      descriptor: Float32Array,
      opts: { threshold?: number; excludeSubject?: string; limit?: number },
    ): Promise<Array<{ template_id: string; subject_ref: string; similarity: number }>>;
    remove(customerId: string, id: string): Promise<boolean>;
  } | null;
  ready(): Promise<boolean>;
}
export interface ChipEngine {
  verify(body: Record<string, unknown>): Promise<{
    checks: Array<{ code: string; status: string }>;
    data: {
      mrz: {
        document_number: string | null;
        surname: string | null;
        given_names: string | null;
        date_of_birth: string | null;
        date_of_expiry: string | null;
        sex: string | null;
        nationality: string | null;
      } | null;
      dg13: {
        id_number: string | null;
        full_name: string | null;
        date_of_birth: string | null;
        date_of_expiry: string | null;
        sex: string | null;
      } | null;
      face_image: string | null;
    };
    passive_authentication: unknown;
  }>;
}
export interface DocumentEngine {
  read(
    front: Buffer,
    back: Buffer | undefined,
  ): Promise<{
    fields: Record<string, unknown>;
    sources?: Record<string, string>;
    expired?: boolean | null;
    quality_issues?: string[];
  }>;
}
export interface Engines {
  face: FaceEngine | null;
  chip: ChipEngine | null;
  document: DocumentEngine | null;
  liveness: null;
}

const here = import.meta.dirname;
const present = (rel: string) => existsSync(path.join(here, rel));

async function load<T>(rel: string): Promise<T | null> {
  if (!present(rel)) return null;
  try {
    return (await import(rel)) as T;
  } catch {
    return null;
  }
}

export async function loadEngines(deps: { db: Db; clock: Clock }): Promise<Engines> {
  const engines: Engines = { face: null, chip: null, document: null, liveness: null };

  type FaceMod = {
    analyzeImage: (b: Buffer, o: { kind: string }, m?: unknown) => Promise<AnalyzedFace>;
    compareAnalyzed: (
      a: AnalyzedFace,
      b: AnalyzedFace,
    ) => { similarity: number; threshold: number; match: boolean };
  };
  const face = await load<FaceMod>('../../ekyc/face/engine.ts');
  const models = await load<{ loadFaceModels: () => Promise<unknown> }>('../../ekyc/face/models.ts');
  if (face?.analyzeImage && face.compareAnalyzed && models?.loadFaceModels) {
    const tpl = await load<{
      createFaceTemplateService: (d: { db: Db; clock: Clock }) => FaceEngine['templates'];
    }>('../faces/faces.service.ts');
    const loadModels = models.loadFaceModels;
    engines.face = {
      analyze: async (buf, kind) => face.analyzeImage(buf, { kind }, await loadModels()),
      compare: (a, b) => face.compareAnalyzed(a, b),
      templates: tpl?.createFaceTemplateService ? tpl.createFaceTemplateService(deps) : null,
      ready: async () => {
        await loadModels();
        return true;
      },
    };
  }

  const chip = await load<{ createChipService: (d: { db: Db; clock: Clock }) => ChipEngine }>(
    '../chip/chip.service.ts',
  );
  if (chip?.createChipService) engines.chip = chip.createChipService(deps);

  // The document reader: any of these files exporting `readDocument(front, back?)`.
  for (const f of ['index.ts', 'read.ts', 'reader.ts', 'pipeline.ts', 'engine.ts']) {
    const doc = await load<{ readDocument?: DocumentEngine['read'] }>(`../../ekyc/document/${f}`);
    if (doc && typeof doc.readDocument === 'function') {
      engines.document = { read: doc.readDocument };
      break;
    }
  }
  return engines;
}

export function availableChecks(e: Engines): Array<'document' | 'face' | 'liveness' | 'chip'> {
  const out: Array<'document' | 'face' | 'liveness' | 'chip'> = [];
  if (e.document) out.push('document');
  if (e.face) out.push('face');
  if (e.liveness) out.push('liveness');
  if (e.chip) out.push('chip');
  return out;
}
