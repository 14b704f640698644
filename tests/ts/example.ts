// What a portal written in TypeScript does with the banner (docs/banner.md); `npm run types` checks it
// against cookies/static/banner.d.ts, the file served as /banner.d.ts.
import type { ConsentBanner, ConsentCategories, ConsentDetail } from "../../cookies/static/banner";

function loadAnalytics(): void {
  document.body.dataset.analytics = "on";
}

const banner: ConsentBanner | undefined = window.consentBanner;

if (banner) {
  banner.ready.then((categories: ConsentCategories) => {
    if (categories.analytics) loadAnalytics();
  });
  const onConsent = (detail: ConsentDetail): void => {
    const changed: string[] = detail.changed;
    if (detail.first && changed.length === 0) console.info("first choice: nothing granted");
  };
  banner.on("consent", onConsent);
  banner.off("consent", onConsent);
  banner.on("change", ({ categories }) => {
    if (!categories.analytics) document.body.dataset.analytics = "off";
  });
  const now: boolean | undefined = banner.get().analytics;
  console.info(now);
  void banner.open().then(() => undefined);
  banner.activate();
  banner.activate(document.querySelector("main") ?? document);
}

// Before banner.js has run (it is deferred), the window events work from any script.
window.addEventListener("consentbanner:consent", (event) => {
  const first: boolean = event.detail.first;
  console.info(first);
});

const defaults = window.consentModeDefaults;
if (defaults && defaults.analytics_storage === "granted") loadAnalytics();
