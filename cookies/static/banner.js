// The consent banner (docs/banner.md): plain JavaScript, no dependencies, styles inlined.
// Embed: <script src="{PUBLIC_BASE_URL}/banner.js" data-site="{site}" [data-lang="en"] defer></script>
// /banner.js serves this file minified by cookies/pages.py, which drops indentation, blank lines
// and whole-line // comments: keep every string literal on one line, and no template literals.
// window.consentBanner is declared in banner.d.ts (served as /banner.d.ts): keep both in step.
(function (w, d) {
'use strict';
var me = d.currentScript || d.querySelector('script[data-site][src*="banner.js"]');
if (!me || w.consentBanner) return;
var site = me.getAttribute('data-site');
// The service stamps the served bundle's id here; each decision names it (docs/proofs.md).
var BUNDLE = '__BANNER_BUNDLE__';
var base = me.src.replace(/\/banner\.js([?#].*)?$/, '');
var lang = /^en/i.test(me.getAttribute('data-lang') || d.documentElement.lang) ? 'en' : 'fr';
// A page with a strict CSP gives this script a nonce; the injected <style> reuses it.
var nonce = me.nonce || me.getAttribute('nonce');
// data-open="manual": never opens by itself (the policy page), only through the controls.
var manual = me.getAttribute('data-open') == 'manual';
var gpc = navigator.globalPrivacyControl === true;
var LM = 'cc-lm-' + site;
var api = base + '/v1/sites/' + encodeURIComponent(site);
// known: a valid choice holds on this page (read from the cookies or made here); L: listeners by event.
var policy, T, cats = [], optional = [], granted = {}, known, box, launcher, back, L = {}, settle;
// Words of the banner's own, outside the policy's texts: close, the held-back content's note and button.
var OWN = {fr: ['Fermer', 'Contenu soumis \u00e0 votre accord\u00a0: ', 'Autoriser et afficher'], en: ['Close', 'Content that needs your consent: ', 'Allow and show']};
// Theming: the page sets --cb-* (docs/banner.md); the short names below resolve them once, with
// light and dark defaults. Both main buttons use the one class cc-p: no theme can weigh them apart.
var CSS = '#cc-b,#cc-m,.cc-f{--b:var(--cb-bg,#fff);--t:var(--cb-text,#1a1a1a);--p:var(--cb-primary,#0b4f9c);--q:var(--cb-button-text,#fff);--l:var(--cb-border,#1a1a1a);--r:var(--cb-radius,8px);--f:var(--cb-font,system-ui,sans-serif)}' +
'@media(prefers-color-scheme:dark){#cc-b,#cc-m,.cc-f{--b:var(--cb-bg,#1c1c20);--t:var(--cb-text,#ececec);--p:var(--cb-primary,#9cc3ff);--q:var(--cb-button-text,#111);--l:var(--cb-border,#ececec)}}' +
'#cc-b,.cc-f{box-sizing:border-box;margin:0;padding:16px;background:var(--b);color:var(--t);border:2px solid var(--l);border-radius:var(--r);font:15px/1.45 var(--f)}' +
'#cc-b{position:fixed;z-index:2147483647;left:50%;bottom:8px;transform:translateX(-50%);width:calc(100% - 16px);max-width:40rem;max-height:calc(100% - 16px);overflow:auto;box-shadow:0 4px 24px rgba(0,0,0,.35);text-align:left}' +
'@media(prefers-reduced-motion:no-preference){#cc-b{animation:cc-in .2s ease-out}}@keyframes cc-in{from{opacity:0;transform:translate(-50%,12px)}}' +
'#cc-b *,.cc-f *{box-sizing:border-box;font:inherit;color:inherit;letter-spacing:normal}#cc-b [hidden],#cc-m[hidden],[data-consent-src][hidden]{display:none!important}' +
'#cc-b h2{margin:0 40px 8px 0;font-size:1.15em;font-weight:700}#cc-b p{margin:0 0 12px}' +
'#cc-b button,#cc-m,.cc-f button{cursor:pointer;margin:0;border-radius:calc(var(--r)/2);font-weight:600;line-height:1.3;text-transform:none}' +
'#cc-b .cc-r{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin-top:8px}' +
'#cc-b .cc-p,.cc-f button{padding:10px 8px;background:var(--p);color:var(--q);border:2px solid var(--p)}' +
'#cc-b .cc-s{padding:8px;background:var(--b);color:var(--p);border:2px solid var(--p)}' +
'#cc-b a{display:block;align-self:center;text-align:center;color:var(--p);text-decoration:underline}' +
'#cc-b .cc-x{position:absolute;top:8px;right:8px;width:36px;height:36px;padding:0;background:var(--b);color:var(--t);border:2px solid transparent;font-size:22px;line-height:1}' +
'#cc-b label{display:flex;gap:8px;margin:0 0 10px}#cc-b input{flex:none;width:20px;height:20px;margin:2px 0 0;accent-color:var(--p)}#cc-b label b{display:block;font-weight:700}' +
'#cc-m{position:fixed;z-index:2147483646;left:8px;bottom:8px;padding:4px 8px;background:var(--b);color:var(--p);border:2px solid var(--p);font:13px/1.3 var(--f)}' +
'.cc-f{display:flex;flex-direction:column;justify-content:center;align-items:center;gap:12px;max-width:100%;border-style:dashed;text-align:center}.cc-f p{margin:0}' +
'#cc-b :focus-visible,#cc-m:focus-visible,.cc-f :focus-visible{outline:3px solid var(--t);outline-offset:2px}#cc-b:focus{outline:none}';

function gtag() {
if (typeof w.gtag == 'function') w.gtag.apply(w, arguments);
}

// Consent Mode v2 signals for the categories in force: each policy category's consent_mode signals
// follow it (required ones are granted); the four signals of v2 are always sent.
function modes(cat) {
var m = {analytics_storage: 'denied', ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied'};
(policy ? policy.categories : []).forEach(function (c) {
(c.consent_mode || []).forEach(function (s) {
m[s] = cat[c.key] ? 'granted' : 'denied';
});
});
return m;
}

function ss(value) {
// sessionStorage may be unavailable (sandboxed frames, privacy modes): then the marker is lost.
try {
if (value === 0) sessionStorage.removeItem(LM);
else if (value) sessionStorage.setItem(LM, '1');
return sessionStorage.getItem(LM);
} catch (e) {}
}

// The readable payload of a signed token (base64url JSON before the dot); 0 when absent or undecodable.
function payload(name) {
var m = d.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
try {
var b = m[1].split('.')[0].replace(/-/g, '+').replace(/_/g, '/');
var p = JSON.parse(atob(b + '==='.slice((b.length + 3) % 4)));
return p && typeof p == 'object' ? p : 0;
} catch (e) {
return 0;
}
}

// The stored choice when it still holds: both tokens readable, for this site and this policy
// version, and r_ci not yet due (read from its payload, whatever the browser's expiry says).
function stored() {
var c = payload('cookie_consent'), r = payload('r_ci'), now = Date.now() / 1000;
return c && r && c.site == site && r.site == site && c.ver == policy.version && c.cat &&
r.due > now && c.until > now ? c : null;
}

function el(tag, attrs, text, parent) {
var e = d.createElement(tag);
for (var k in attrs) e.setAttribute(k, attrs[k]);
// Policy texts are data: textContent only, never innerHTML.
if (text) e.textContent = text;
if (parent) parent.appendChild(e);
return e;
}

function expire(name, domain) {
d.cookie = name + '=; path=/; max-age=0' + domain;
}

// Deletes the cookies the policy lists for a refused category (a name ending in * is a prefix),
// host-only and on every parent domain (where a cookie_domain puts them).
function purge(key) {
policy.cookies.forEach(function (c) {
if (c.category != key) return;
var star = c.name.slice(-1) == '*', stem = star ? c.name.slice(0, -1) : c.name;
d.cookie.split('; ').forEach(function (pair) {
var name = pair.split('=')[0], h = location.hostname.split('.');
if (star ? name.indexOf(stem) : name != stem) return;
expire(name, '');
for (var i = 0; i < h.length - 1; i++) expire(name, '; domain=' + h.slice(i).join('.'));
});
});
}

// Runs the <script type="text/plain" data-consent-category="..."> of granted categories and shows or
// holds back the <iframe data-consent-src data-consent-category> under root (the document by default).
function activate(root) {
if (!policy) return;
root = root || d;
root.querySelectorAll('script[type="text/plain"][data-consent-category]').forEach(function (old) {
if (!granted[old.getAttribute('data-consent-category')]) return;
var s = d.createElement('script');
for (var i = 0; i < old.attributes.length; i++) s.setAttribute(old.attributes[i].name, old.attributes[i].value);
s.removeAttribute('type');
if (old.nonce) s.setAttribute('nonce', old.nonce);
s.async = false;
s.text = old.text;
old.parentNode.replaceChild(s, old);
});
root.querySelectorAll('iframe[data-consent-src]').forEach(frame);
}

// A held-back iframe loads once its category is granted; until then (and after a withdrawal, which
// unloads it) a placeholder before it names the category and offers to grant it.
function frame(f) {
var key = f.getAttribute('data-consent-category'), src = f.getAttribute('data-consent-src');
var ph = f.previousElementSibling, c = policy.categories.filter(function (x) {
return x.key == key;
})[0];
if (!(ph && ph.className == 'cc-f')) ph = 0;
if (granted[key]) {
f.hidden = false;
if (f.getAttribute('src') != src) f.src = src;
if (!ph) return;
if (ph.contains(d.activeElement)) f.focus();
return ph.remove();
}
if (f.hasAttribute('src')) f.src = 'about:blank';
if (ph || !c) return;
var label = c.label[lang] || key;
ph = el('div', {'class': 'cc-f', role: 'group', 'aria-label': f.title || label, lang: lang});
if (f.offsetWidth) ph.style.cssText = 'width:' + f.offsetWidth + 'px;height:' + f.offsetHeight + 'px';
el('p', {}, OWN[lang][1] + '\u00ab\u00a0' + label + '\u00a0\u00bb', ph);
el('button', {type: 'button'}, OWN[lang][2], ph).onclick = function () {
var cat = {};
optional.forEach(function (k) {
cat[k] = k == key || !!granted[k];
});
decide('custom', cat);
};
f.parentNode.insertBefore(ph, f);
f.hidden = true;
}

function emit(name, detail) {
(L[name] || []).slice().forEach(function (fn) {
// A failing listener neither stops the others nor the banner; its error still reaches the console.
try {
fn(detail);
} catch (e) {
setTimeout(function () {
throw e;
});
}
});
w.dispatchEvent(new CustomEvent('consentbanner:' + name, {detail: detail}));
}

// Applies the categories in force. how: 0 no valid choice, 1 a choice read from the cookies,
// 2 a decision just recorded. Events go once per cause: a page load with a choice, or a decision.
function apply(cat, how) {
var before = granted, changed = [], first = !known;
granted = cat;
optional.forEach(function (k) {
if (!cat[k]) purge(k);
if (how > 1 && !cat[k] != !before[k]) changed.push(k);
});
activate();
// consent-defaults.js may have granted from a choice that no longer holds: deny again.
if (!how) return /granted/.test(JSON.stringify(w.consentModeDefaults)) && gtag('consent', 'update', modes(cat));
known = 1;
gtag('consent', 'update', modes(cat));
if (w.dataLayer && w.dataLayer.push) w.dataLayer.push({event: 'consent_update', consent: cat});
var detail = {categories: cat, first: how > 1 && first, changed: changed};
emit('consent', detail);
if (changed.length) emit('change', detail);
settle(cat);
}

// Records a decision. Same-site services set both cookies themselves (Set-Cookie lasts the full
// validity; Safari caps cookies a script writes at 7 days); otherwise the script writes them.
function decide(action, categories) {
var c = payload('cookie_consent');
var body = {action: action, locale: lang, page: location.origin + location.pathname, banner: BUNDLE};
if (c && c.vid) body.visitor_id = c.vid;
if (categories) body.categories = categories;
close();
return fetch(api + '/consents', {method: 'POST', credentials: 'include', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)}).then(function (r) {
if (!r.ok) throw new Error('consent ' + r.status);
return r.json();
}).then(function (res) {
var k = res.cookies;
if (d.cookie.indexOf('cookie_consent=' + k.cookie_consent.value) < 0) {
for (var n in k) d.cookie = n + '=' + k[n].value + '; path=/; max-age=' + k[n].max_age + '; samesite=lax' + (location.protocol == 'https:' ? '; secure' : '');
}
apply(res.categories, 2);
}).catch(warn);
}

// A failure turns nothing on: the banner simply shows again on the next page.
function warn(e) {
console.warn('consent banner:', e.message);
}

function close() {
if (!box) return;
box.remove();
box = null;
launcher.hidden = false;
if (back && back.focus) back.focus();
}

function show() {
close();
back = d.activeElement;
launcher.hidden = true;
var had = optional.some(function (k) {
return granted[k];
});
box = el('div', {id: 'cc-b', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'cc-t', 'aria-describedby': 'cc-d', tabindex: '-1', lang: lang}, 0, d.body);
el('button', {type: 'button', 'class': 'cc-x', 'aria-label': OWN[lang][0]}, '\u00d7', box).onclick = close;
el('h2', {id: 'cc-t'}, T.title, box);
el('p', {id: 'cc-d'}, T.body, box);
var list = el('div', {hidden: ''}, 0, box);
cats.forEach(function (c) {
var row = el('label', {}, 0, list);
el('input', {type: 'checkbox', role: 'switch', name: c.key}, 0, row).checked = !!granted[c.key];
var span = el('span', {}, 0, row);
el('b', {}, (c.label || {})[lang] || c.key, span);
el('span', {}, (c.description || {})[lang], span);
});
var r1 = el('div', {'class': 'cc-r'}, 0, box);
el('button', {type: 'button', 'class': 'cc-p'}, T.accept_all, r1).onclick = function () {
decide('accept_all');
};
el('button', {type: 'button', 'class': 'cc-p'}, T.refuse_all, r1).onclick = function () {
decide(had ? 'withdraw' : 'refuse_all');
};
var r2 = el('div', {'class': 'cc-r'}, 0, box);
var custom = el('button', {type: 'button', 'class': 'cc-s'}, T.customize, r2);
var save = el('button', {type: 'button', 'class': 'cc-s', hidden: ''}, T.save, r2);
custom.onclick = function () {
list.hidden = save.hidden = false;
custom.hidden = true;
list.querySelector('input').focus();
};
save.onclick = function () {
var cat = {};
list.querySelectorAll('input').forEach(function (i) {
cat[i.name] = i.checked;
});
decide('custom', cat);
};
el('a', {href: base + '/sites/' + encodeURIComponent(site) + '/cookies' + (lang == 'en' ? '?lang=en' : '')}, T.learn_more, r2).onclick = function () {
if (policy.implied_consent_on_continue) ss(1);
};
if (!optional.length) custom.hidden = true;
box.onkeydown = function (e) {
if (e.key == 'Escape') return close();
if (e.key != 'Tab') return;
var f = [].filter.call(box.querySelectorAll('button,a,input'), function (x) {
return x.offsetParent;
});
var a = d.activeElement, first = f[0], last = f[f.length - 1];
if (e.shiftKey ? a == first || a == box : a == last) {
(e.shiftKey ? last : first).focus();
e.preventDefault();
}
};
box.focus();
}

function open() {
return loaded.then(show);
}

// Focus stays in the dialog until a choice or close.
d.addEventListener('focusin', function (e) {
if (box && !box.contains(e.target)) box.focus();
});
// Any element of the page can reopen the choices or withdraw consent (the policy page does).
d.addEventListener('click', function (e) {
var t = e.target.closest && e.target.closest('[data-consent-open],[data-consent-withdraw]');
if (!t) return;
e.preventDefault();
if (t.hasAttribute('data-consent-open')) open();
else loaded.then(function () {
decide('withdraw');
});
});

// consent-defaults.js, when the page has it, already set the defaults before any tag.
if (!w.consentModeDefaults) gtag('consent', 'default', modes({}));
var ready = new Promise(function (resolve) {
settle = resolve;
});
var loaded = fetch(api + '/policy').then(function (r) {
// The service answers an origin the site does not allow, saying so, so that the page can be told how.
if (r.headers.get('Consent-Origin') == 'refused') {
console.error('consent banner: ' + location.origin + ' is not an allowed origin of the site "' + site + '". Allow it: flask sites origins ' + site + ' --add ' + location.origin + ' (or PATCH ' + api + ')');
return new Promise(function () {});
}
if (!r.ok) throw new Error('policy ' + r.status);
return r.json();
}).then(function (p) {
policy = p;
if (!p.texts[lang]) lang = 'fr';
T = p.texts[lang];
cats = p.categories.filter(function (c) {
return !c.required;
});
optional = cats.map(function (c) {
return c.key;
});
var st = d.createElement('style');
if (nonce) st.setAttribute('nonce', nonce);
st.textContent = CSS;
d.head.appendChild(st);
launcher = el('button', {type: 'button', id: 'cc-m', lang: lang}, T.manage, d.body);
launcher.onclick = open;
// sessionStorage is only touched when the policy has implied consent (its first use is slow).
var implied = p.implied_consent_on_continue && !manual, c = stored(), seen = implied && ss(), none = {};
if (implied) ss(0);
if (c) return apply(c.cat, 1);
p.categories.forEach(function (x) {
none[x.key] = x.required;
});
apply(none, 0);
// The seed's implied consent: navigating on after "En savoir plus" records "continue", only
// when the policy says so and never under Global Privacy Control.
if (seen && !gpc) decide('continue');
else if (!manual) show();
});
loaded.catch(warn);
w.consentBanner = {ready: ready, open: open, activate: activate, get: function () {
return granted;
}, on: function (name, fn) {
(L[name] = L[name] || []).push(fn);
}, off: function (name, fn) {
L[name] = (L[name] || []).filter(function (g) {
return g != fn;
});
}};
})(window, document);
