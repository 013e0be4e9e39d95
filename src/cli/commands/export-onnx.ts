/** `fxp export-onnx MODEL.fxp -o model.onnx`: the fixed-point model as an ONNX QDQ model (opset 21). */
import { writeFile } from 'node:fs/promises';
import { FxpError, wrapError } from '../../errors.js';
import { readFxp } from '../../export/fxp-file.js';
import { exportOnnxQdq, type OnnxQdqRounding } from '../../export/onnx-qdq.js';
import { isFxpPath } from '../model.js';
import { formatTable } from '../table.js';

export interface ExportOnnxOptions {
  output: string;
  /** 'even' (plain QDQ, the default) or 'half-up' (the engine's rounding; see onnx-qdq.ts). */
  rounding?: string;
  json?: boolean;
}

const ROUNDINGS: readonly OnnxQdqRounding[] = ['even', 'half-up'];

function roundingOf(v: string | undefined): OnnxQdqRounding {
  const r = v ?? 'even';
  const found = ROUNDINGS.find((x) => x === r);
  if (found === undefined) throw new FxpError(`--rounding must be one of ${ROUNDINGS.join(', ')}, got '${r}'`);
  return found;
}

export async function exportOnnxCommand(modelPath: string, opts: ExportOnnxOptions): Promise<void> {
  if (!isFxpPath(modelPath)) throw new FxpError('export-onnx takes a fixed-point model (.fxp, from `fxp quantize`)', { file: modelPath });
  if (!opts.output.toLowerCase().endsWith('.onnx')) throw new FxpError(`the output file should end in .onnx, got '${opts.output}'`);
  const rounding = roundingOf(opts.rounding);
  const fx = await readFxp(modelPath);
  const result = exportOnnxQdq(fx, { file: modelPath, rounding });
  try {
    await writeFile(opts.output, result.bytes);
  } catch (err) {
    throw wrapError(err, 'cannot write ONNX file', { file: opts.output });
  }
  const ops = [...result.opCount].sort((a, b) => b[1] - a[1]);
  if (opts.json === true) {
    const info = { model: modelPath, output: opts.output, rounding, bytes: result.bytes.length, opset: result.opset, nodes: result.nodes, initializers: result.initializers, ops: Object.fromEntries(ops) };
    process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${formatTable(['ONNX op', 'nodes'], ops.map(([op, n]) => [op, n]), ['l', 'r'])}\n\n`);
  process.stdout.write(
    `wrote ${opts.output}: ${result.bytes.length.toLocaleString('en-US')} bytes, opset ${result.opset}, ${result.nodes} nodes ` +
      `(QuantizeLinear/DequantizeLinear with power-of-two activation scales, rounding ${rounding === 'even' ? 'ties to even as ONNX defines' : 'half up as the engine'})\n`,
  );
}
