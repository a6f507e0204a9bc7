import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { faceFile } from '../../../test/fixtures/faces/data.ts';
import { loadInProcessModels } from './models.ts';
import { foldRecognitionNet, RECOGNITION_SIZE, type RecognitionParams } from './recognition-net.ts';

test('the folded recognition net gives face-api’s descriptor for the same crop', async () => {
  const models = await loadInProcessModels();
  const net = models.faceapi.nets.faceRecognitionNet as unknown as {
    params: RecognitionParams;
    dispose(): void;
  };
  const crops = [
    // A real face, and noise that reaches every activation a face would not.
    await sharp(faceFile('faceapi_bbt/amy/amy1.png'))
      .resize(RECOGNITION_SIZE, RECOGNITION_SIZE, { fit: 'cover' })
      .removeAlpha()
      .raw()
      .toBuffer(),
    Buffer.from(Array.from({ length: RECOGNITION_SIZE * RECOGNITION_SIZE * 3 }, (_, i) => (i * 7919) % 256)),
  ];
  const wants: Float32Array[] = [];
  for (const bytes of crops) {
    const input = models.tf.tensor3d(
      Float32Array.from(bytes),
      [RECOGNITION_SIZE, RECOGNITION_SIZE, 3],
      'float32',
    );
    wants.push((await models.faceapi.computeFaceDescriptor(input)) as Float32Array);
  }
  // As a face worker does: fold, then free face-api's own copy of the weights.
  const describe = foldRecognitionNet(net.params);
  net.dispose();
  for (const [i, bytes] of crops.entries()) {
    const want = wants[i]!;
    const got = await describe(Float32Array.from(bytes));
    assert.equal(got.length, 128);
    let distance = 0;
    for (let i = 0; i < 128; i++) distance += (got[i]! - want[i]!) ** 2;
    // Same-person pairs sit at distance ≤ 0.6: anything above float rounding would be a different net.
    assert.ok(Math.sqrt(distance) < 1e-4, `descriptor distance ${Math.sqrt(distance)}`);
  }
  await assert.rejects(describe(new Float32Array(10)), /150×150/);
});
