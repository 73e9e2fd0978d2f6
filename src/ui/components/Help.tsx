// `?`: the keys of the screen underneath. Any key closes it.
import { Box } from 'ink';
import { HELP, type ScreenName } from '../keys.js';
import { cell } from '../format.js';
import { line, Lines, wrapLines, type Size, useKeys } from './common.js';

export function Help({ screen, size, active, onClose }: { screen: ScreenName; size: Size; active: boolean; onClose(): void }) {
  useKeys(() => onClose(), active);
  const { title, keys } = HELP[screen];
  const width = size.columns;
  const keyWidth = Math.max(...keys.map(([k]) => k.length)) + 2;
  const lines = [
    line(` Keys · ${title}`, { bold: true }),
    line(''),
    ...wrapLines(keys.map(([k, what]) => line(`   ${cell(k, keyWidth)}${what}`)), width - 1, ' '.repeat(keyWidth)),
    line(''),
    line(' Symbols: ✓ done   ▶ current   ✗ failed   · pending   - skipped   ! warning'),
    line(''),
    line(' any key closes this', { dim: true }),
  ];
  return <Box flexDirection="column" width={width}><Lines lines={lines.slice(0, size.rows - 1)} width={width} /></Box>;
}
