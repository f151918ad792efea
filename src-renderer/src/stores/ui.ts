/** UI preferences: the theme (remembered in localStorage) and the view (kept in the URL hash). */
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';

export type Theme = 'dark' | 'light';
export type ViewId = 'train' | 'sampler' | 'latent' | 'toy' | 'compare';

export const VIEWS: { id: ViewId; title: string }[] = [
  { id: 'train', title: 'Train' },
  { id: 'sampler', title: 'Sampler' },
  { id: 'latent', title: 'Latent studio' },
  { id: 'toy', title: 'Toy lab' },
  { id: 'compare', title: 'Compare' },
];

export const THEME_KEY = 'flowstudio.theme';

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage can be disabled (privacy settings): preferences then last a session
  }
}

function initialTheme(): Theme {
  const saved = storage()?.getItem(THEME_KEY);
  if (saved === 'dark' || saved === 'light') return saved;
  const prefersLight = typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: light)').matches;
  return prefersLight ? 'light' : 'dark';
}

function viewFromHash(): ViewId {
  const hash = typeof location === 'undefined' ? '' : location.hash.replace(/^#\/?/, '');
  return VIEWS.some((v) => v.id === hash) ? (hash as ViewId) : 'train';
}

export const useUiStore = defineStore('ui', () => {
  const theme = ref<Theme>(initialTheme());
  const view = ref<ViewId>(viewFromHash());

  function applyTheme(): void {
    if (typeof document !== 'undefined') document.documentElement.dataset['theme'] = theme.value;
  }

  function toggleTheme(): void {
    theme.value = theme.value === 'dark' ? 'light' : 'dark';
  }

  function show(id: ViewId): void {
    view.value = id;
  }

  watch(theme, (value) => {
    storage()?.setItem(THEME_KEY, value);
    applyTheme();
  });
  watch(view, (value) => {
    if (typeof history !== 'undefined' && typeof location !== 'undefined') {
      history.replaceState(null, '', `${location.pathname}${location.search}#/${value}`);
    }
  });
  applyTheme();

  return { theme, view, toggleTheme, show };
});
