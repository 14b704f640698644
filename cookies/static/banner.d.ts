// TypeScript declarations of the consent banner's page API (docs/banner.md), served as /banner.d.ts.
// Save it in your project (e.g. types/consent-banner.d.ts); it declares window.consentBanner and the
// window events the banner dispatches.

/** Category key → granted. Required categories are always true. */
export type ConsentCategories = Record<string, boolean>;

/** What `consent` and `change` listeners (and the `consentbanner:*` window events) receive. */
export interface ConsentDetail {
  /** Every category of the current policy, granted or not. */
  categories: ConsentCategories;
  /** True for the first decision on this browser under a valid policy (nothing held before). */
  first: boolean;
  /** The optional categories whose value this decision changed; empty on a page load. */
  changed: string[];
}

export type ConsentEventName = "consent" | "change";
export type ConsentListener = (detail: ConsentDetail) => void;

/** Google Consent Mode v2 signal values, as consent-defaults.js set them. */
export type ConsentModeState = Record<string, "granted" | "denied">;

export interface ConsentBanner {
  /** Resolves with the categories once the choice is known: from the cookies, or after the first decision.
   * Stays pending while the visitor has not chosen (the banner closed with Escape, for example). */
  readonly ready: Promise<ConsentCategories>;
  /** `consent`: once per page when a choice holds, and after each decision.
   * `change`: after a decision that changed at least one category. */
  on(name: ConsentEventName, listener: ConsentListener): void;
  off(name: ConsentEventName, listener: ConsentListener): void;
  /** The categories in force now: `{}` until the policy is loaded, then every category. */
  get(): ConsentCategories;
  /** Opens the choices (the same as the « Gérer mes cookies » button). */
  open(): Promise<void>;
  /** Runs the held `<script type="text/plain" data-consent-category>` and shows or holds the
   * `<iframe data-consent-src data-consent-category>` under `root` (the whole document by default):
   * for content a single-page app inserted after the page loaded. */
  activate(root?: ParentNode): void;
}

declare global {
  interface Window {
    /** Defined by banner.js as soon as it runs (it is deferred: use the window events before that). */
    consentBanner?: ConsentBanner;
    /** Set by /sites/{site}/consent-defaults.js when the page loads it. */
    consentModeDefaults?: ConsentModeState;
  }
  interface WindowEventMap {
    "consentbanner:consent": CustomEvent<ConsentDetail>;
    "consentbanner:change": CustomEvent<ConsentDetail>;
  }
}
