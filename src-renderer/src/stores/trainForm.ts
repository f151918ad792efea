/**
 * The "new run" form: preset, data spec, editable config fields with live validation, and a
 * preview of the dataset (counts, examples) fetched as the spec changes, and the engine's
 * preset catalogue (structure and parameter count of each preset, `listPresets`). The form is
 * kept in localStorage so a reload does not lose a half-edited configuration.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { type PresetName, PresetNameSchema, type RunConfig } from '../../../src-shared/config';
import { parseDataSpec, withDataSpecPath } from '../../../src-shared/dataSpec';
import { PRESETS } from '../../../src-shared/presets';
import type { DatasetInfo, PresetSummary } from '../../../src-shared/protocol';
import { readableError } from '../lib/errors';
import { createLatestRunner } from '../lib/latest';
import { changedKeys } from '../lib/configDiff';
import { type FormValues, validateForm, valuesFromConfig, valuesFromPreset } from '../lib/trainForm';
import { useConnection } from './connection';
import { useRunsStore } from './runs';
import { useSystemStore } from './system';

export const FORM_KEY = 'flowstudio.trainForm';

interface SavedForm {
  preset: PresetName;
  data: string;
  values: FormValues;
}

function loadSaved(): SavedForm | null {
  try {
    const text = typeof localStorage === 'undefined' ? null : localStorage.getItem(FORM_KEY);
    if (!text) return null;
    const saved = JSON.parse(text) as Partial<SavedForm>;
    const preset = PresetNameSchema.safeParse(saved.preset);
    if (!preset.success || typeof saved.data !== 'string' || typeof saved.values !== 'object' || saved.values === null) return null;
    // Fields added since the form was saved take the preset's value.
    return { preset: preset.data, data: saved.data, values: { ...valuesFromPreset(preset.data), ...saved.values } };
  } catch {
    return null;
  }
}

export const useTrainFormStore = defineStore('trainForm', () => {
  const connection = useConnection();
  const system = useSystemStore();
  const runs = useRunsStore();
  const saved = loadSaved();

  const preset = ref<PresetName>(saved?.preset ?? 'toy2d');
  const data = ref(saved?.data ?? PRESETS[preset.value].defaultData);
  const values = ref<FormValues>(saved?.values ?? valuesFromPreset(preset.value));
  const showAdvanced = ref(false);
  const dataset = shallowRef<DatasetInfo | null>(null);
  const datasetBusy = ref(false);
  const datasetError = ref<string | null>(null);
  const browsing = ref(false);
  /**
   * Folded away while a run is on screen, so its fields are not read as that run's settings;
   * null follows that rule, true/false is the user's choice until the next run is opened.
   */
  const expandedChoice = ref<boolean | null>(null);
  const expanded = computed(() => expandedChoice.value ?? !runs.current);
  /** The run whose settings filled the form, and the settings the form cannot carry. */
  const filledFrom = shallowRef<{ runId: string; notCarried: string[] } | null>(null);
  /** The engine's summary of each preset (parameter counts); empty until `loadPresets`. */
  const presetInfo = shallowRef<Partial<Record<PresetName, PresetSummary>>>({});

  /** The dataset's shape, once previewed: the model is checked against the real data. */
  const inputShape = computed(() => (dataset.value && dataset.value.spec === data.value.trim() ? dataset.value.shape : undefined));
  const validation = computed(() => validateForm(preset.value, data.value, values.value, inputShape.value));
  const canStart = computed(() => validation.value.overrides !== null && !runs.starting);

  const preview = createLatestRunner(
    (spec: string) => connection.get().invoke('datasetInfo', { data: spec, examples: 8 }),
    {
      onResult: (info) => {
        dataset.value = info;
        datasetError.value = null;
      },
      onError: (e) => {
        dataset.value = null;
        datasetError.value = readableError(e).message;
      },
      onBusyChange: (busy) => {
        datasetBusy.value = busy;
      },
    },
    400,
  );

  /** Fetches the preview when the spec parses; a bad spec shows its field error instead. */
  function loadDataset(immediate = false): void {
    const spec = data.value.trim();
    try {
      parseDataSpec(spec);
    } catch {
      preview.cancel();
      dataset.value = null;
      datasetError.value = null;
      return;
    }
    if (immediate) preview.now(spec);
    else preview.request(spec);
  }

  /** Fetches the preset catalogue once; without it the picker simply shows no counts. */
  async function loadPresets(): Promise<void> {
    if (Object.keys(presetInfo.value).length > 0) return;
    try {
      const { presets } = await connection.get().invoke('listPresets', {});
      presetInfo.value = Object.fromEntries(presets.map((p) => [p.name, p]));
    } catch (e) {
      system.reportFailure('list the presets', e);
    }
  }

  function selectPreset(name: PresetName): void {
    // A data spec the user typed is kept; the previous preset's default follows the preset.
    if (data.value.trim() === PRESETS[preset.value].defaultData) data.value = PRESETS[name].defaultData;
    preset.value = name;
    values.value = valuesFromPreset(name);
  }

  function resetFields(): void {
    values.value = valuesFromPreset(preset.value);
    filledFrom.value = null;
  }

  /**
   * "New run from this run's settings": the run's preset, data and every form field. Settings
   * the form has no field for (e.g. `model.convWeight`) take the preset's value; they are
   * listed so the user knows.
   */
  function fillFromRun(runId: string, config: RunConfig): void {
    preset.value = config.preset;
    data.value = config.data;
    values.value = valuesFromConfig(config);
    const result = validateForm(config.preset, config.data, values.value, config.model.inputShape);
    const notCarried = result.config ? changedKeys(config, result.config) : [];
    filledFrom.value = { runId, notCarried };
    expandedChoice.value = true;
  }

  function setExpanded(open: boolean): void {
    expandedChoice.value = open;
  }

  function setValue(key: string, value: string | boolean): void {
    values.value = { ...values.value, [key]: value };
  }

  async function browse(kind: 'file' | 'folder'): Promise<void> {
    browsing.value = true;
    try {
      const result = await connection.get().invoke('pickPath', { kind, title: 'Choose the dataset' });
      if (result.path) data.value = withDataSpecPath(data.value.trim(), result.path);
    } catch (e) {
      system.reportFailure('open the file dialog', e);
    } finally {
      browsing.value = false;
    }
  }

  async function submit(): Promise<boolean> {
    const overrides = validation.value.overrides;
    if (!overrides) return false;
    return runs.start(preset.value, overrides);
  }

  watch(data, () => loadDataset());
  // Opening another run folds the form again (unless the user fills it from that run).
  watch(
    () => runs.current?.summary.runDir,
    () => {
      expandedChoice.value = null;
    },
  );
  watch([preset, data, values], () => {
    try {
      localStorage.setItem(FORM_KEY, JSON.stringify({ preset: preset.value, data: data.value, values: values.value } satisfies SavedForm));
    } catch {
      // storage full or disabled: the form just is not remembered
    }
  });

  return {
    preset,
    data,
    values,
    showAdvanced,
    dataset,
    datasetBusy,
    datasetError,
    browsing,
    presetInfo,
    expanded,
    filledFrom,
    validation,
    canStart,
    loadDataset,
    loadPresets,
    selectPreset,
    resetFields,
    fillFromRun,
    setExpanded,
    setValue,
    browse,
    submit,
  };
});
