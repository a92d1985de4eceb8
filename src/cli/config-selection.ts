/**
 * Setting one component's provider in the text of a configuration file, in the file's own format: YAML through its
 * document model (comments and layout kept), JSON with the file's indentation, TOML through a writer (values kept,
 * comments not). The text is only edited here; checking and writing it is the configuration module's job.
 */
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { parseDocument } from 'yaml';
import type { ConfigFormat } from '../config/file.js';

/** What setting a selection did to a configuration text. */
export interface SelectionEdit {
  /** The new text; the same as the old one when the provider was selected already. */
  readonly text: string;
  /** The provider the file selected before, or null. */
  readonly previous: string | null;
  /** Whether the previous selection's `settings` were removed (they belong to the provider that was selected). */
  readonly droppedSettings: boolean;
  /** Whether comments of the file may have been lost (a TOML file with a `#` in it is rewritten whole). */
  readonly commentsLost: boolean;
}

const BOM = '\uFEFF';

/** Sets `components."<componentKey>".provider` to `provider` in a configuration text of `format`. */
export function setSelectionInText(text: string, format: ConfigFormat, componentKey: string, provider: string): SelectionEdit {
  const bom = text.startsWith(BOM) ? BOM : '';
  const body = text.slice(bom.length);
  switch (format) {
    case 'yaml':
      return withBom(bom, setInYaml(body, componentKey, provider));
    case 'json':
      return withBom(bom, setInValues(body, componentKey, provider, parseJsonObject, (values) => formatJsonLike(body, values)));
    case 'toml': {
      const edit = setInValues(body, componentKey, provider, (t) => parseToml(t) as Record<string, unknown>, (values) => `${stringifyToml(values).trimEnd()}\n`);
      return withBom(bom, { ...edit, commentsLost: edit.text !== body && body.includes('#') });
    }
    default: {
      const never: never = format;
      throw new Error(`unknown configuration format ${String(never)}`);
    }
  }
}

function withBom(bom: string, edit: SelectionEdit): SelectionEdit {
  return { ...edit, text: bom + edit.text };
}

function setInYaml(text: string, componentKey: string, provider: string): SelectionEdit {
  const doc = parseDocument(text);
  const path = ['components', componentKey];
  const previous = doc.getIn([...path, 'provider']);
  const previousName = typeof previous === 'string' ? previous : null;
  if (previousName === provider) return { text, previous: previousName, droppedSettings: false, commentsLost: false };
  const droppedSettings = doc.hasIn([...path, 'settings']);
  if (droppedSettings) doc.deleteIn([...path, 'settings']);
  doc.setIn([...path, 'provider'], provider);
  return { text: doc.toString(), previous: previousName, droppedSettings, commentsLost: false };
}

/** Edits the parsed values of a JSON or TOML text and writes them back. */
function setInValues(
  text: string,
  componentKey: string,
  provider: string,
  parse: (text: string) => Record<string, unknown>,
  write: (values: Record<string, unknown>) => string,
): SelectionEdit {
  const values = text.trim() === '' ? {} : parse(text);
  const components = isRecord(values.components) ? values.components : {};
  const selection = isRecord(components[componentKey]) ? components[componentKey] : {};
  const previous = typeof selection.provider === 'string' ? selection.provider : null;
  if (previous === provider) return { text, previous, droppedSettings: false, commentsLost: false };
  const { settings, ...rest } = selection;
  components[componentKey] = { ...rest, provider };
  values.components = components;
  return { text: write(values), previous, droppedSettings: settings !== undefined, commentsLost: false };
}

function parseJsonObject(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  if (!isRecord(value)) throw new Error('the configuration is not a JSON object');
  return value;
}

/** JSON with the indentation of the original text (two spaces when it has none), ending as it ended. */
function formatJsonLike(original: string, values: Record<string, unknown>): string {
  const indent = /\n([ \t]+)\S/.exec(original)?.[1] ?? '  ';
  const trailing = original === '' || /\n\s*$/.test(original) ? '\n' : '';
  return `${JSON.stringify(values, null, indent)}${trailing}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
