import { WEFT_VERSION } from '@weft/proxy';

export function versionCommand(): number {
  process.stdout.write(`weft ${WEFT_VERSION} (node ${process.version})\n`);
  return 0;
}
