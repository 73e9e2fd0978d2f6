// A question with a few answers as an ink-select-input menu: arrows / j k pick, enter chooses.
// Its number keys (1 chooses the first answer at once) are off where an answer is destructive:
// a stray digit must not say yes.
import { Text } from 'ink';
import SelectInput from 'ink-select-input';
import { useRef } from 'react';
import { cut, tint } from '../format.js';
import { useKeys } from './common.js';

export interface MenuItem<V extends string> { label: string; value: V }

export interface MenuProps<V extends string> {
  items: MenuItem<V>[];
  width: number;
  active: boolean;
  /** Whether 1–9 choose an answer at once (off for destructive questions). */
  numbers: boolean;
  onSelect(value: V): void;
}

function Indicator({ isSelected }: { isSelected?: boolean }) {
  return <Text>{isSelected ? ' › ' : '   '}</Text>;
}

function Item({ isSelected, label }: { isSelected?: boolean; label: string }) {
  return <Text bold={isSelected} color={tint(isSelected ? 'cyan' : undefined)}>{label}</Text>;
}

export function Menu<V extends string>(p: MenuProps<V>) {
  // Both handlers see every key; the menu's may run first: its choice waits for the end of the
  // key's handling, when it is known whether the key was a digit.
  const digit = useRef(false);
  useKeys((input) => { digit.current = /^[0-9]$/.test(input); }, p.active);
  return (
    <SelectInput<V>
      items={p.items.map((it) => ({ key: it.value, value: it.value, label: cut(it.label, p.width - 4) }))}
      isFocused={p.active}
      indicatorComponent={Indicator}
      itemComponent={Item}
      onSelect={(item) => {
        if (p.numbers) return p.onSelect(item.value);
        queueMicrotask(() => { if (!digit.current) p.onSelect(item.value); });
      }}
    />
  );
}
