// The consent banner (docs/banner.md): plain JavaScript, no dependencies, styles inlined.
// Embed: <script src="{PUBLIC_BASE_URL}/banner.js" data-site="{site}" [data-lang="en"] defer></script>
// /banner.js serves this file minified by cookies/pages.py, which drops indentation, blank lines
// and whole-line // comments: keep every string literal on one line, and no template literals.
(function (w, d) {
'use strict';
var me = d.currentScript || d.querySelector('script[data-site][src*="banner.js"]');
if (!me || w.consentBanner) return;
var site = me.getAttribute('data-site');
var base = me.src.replace(/\/banner\.js([?#].*)?$/, '');
var lang = /^en/i.test(me.getAttribute('data-lang') || d.documentElement.lang) ? 'en' : 'fr';
// A page with a strict CSP gives this script a nonce; the injected <style> reuses it.
var nonce = me.nonce || me.getAttribute('nonce');
// data-open="manual": never opens by itself (the policy page), only through the controls.
var manual = me.getAttribute('data-open') == 'manual';
var gpc = navigator.globalPrivacyControl === true;
var LM = 'cc-lm-' + site;
var api = base + '/v1/sites/' + encodeURIComponent(site);
var policy, T, cats = [], optional = [], granted = {}, box, launcher, back;
var CSS = '#cc-b{position:fixed;z-index:2147483647;left:50%;bottom:8px;transform:translateX(-50%);box-sizing:border-box;width:calc(100% - 16px);max-width:40rem;max-height:calc(100% - 16px);overflow:auto;margin:0;padding:16px;background:#fff;color:#1a1a1a;border:2px solid #1a1a1a;border-radius:8px;box-shadow:0 4px 24px rgba(0,0,0,.35);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;text-align:left}' +
'#cc-b *{box-sizing:border-box;font:inherit;color:inherit;letter-spacing:normal}#cc-b [hidden],#cc-m[hidden]{display:none!important}' +
'#cc-b h2{margin:0 40px 8px 0;font-size:1.15em;font-weight:700}#cc-b p{margin:0 0 12px}' +
'#cc-b button,#cc-m{cursor:pointer;margin:0;border-radius:4px;font-weight:600;line-height:1.3;text-transform:none}' +
'#cc-b .cc-r{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin-top:8px}' +
'#cc-b .cc-p{padding:10px 8px;background:#0b4f9c;color:#fff;border:2px solid #0b4f9c}' +
'#cc-b .cc-s{padding:8px;background:#fff;color:#0b4f9c;border:2px solid #0b4f9c}' +
'#cc-b a{display:block;align-self:center;text-align:center;color:#0b4f9c;text-decoration:underline}' +
'#cc-b .cc-x{position:absolute;top:8px;right:8px;width:36px;height:36px;padding:0;background:#fff;color:#1a1a1a;border:2px solid transparent;font-size:22px;line-height:1}' +
'#cc-b label{display:flex;gap:8px;margin:0 0 10px}#cc-b input{flex:none;width:20px;height:20px;margin:2px 0 0;accent-color:#0b4f9c}#cc-b label b{display:block;font-weight:700}' +
'#cc-m{position:fixed;z-index:2147483646;left:8px;bottom:8px;padding:4px 8px;background:#fff;color:#0b4f9c;border:2px solid #0b4f9c;font:13px/1.3 system-ui,sans-serif}' +
'#cc-b :focus-visible,#cc-m:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}#cc-b:focus{outline:none}';

function gtag() {
if (typeof w.gtag == 'function') w.gtag.apply(w, arguments);
}

function consentMode(cat) {
var a = cat.analytics ? 'granted' : 'denied';
var m = cat.marketing || cat.advertising || cat.ads ? 'granted' : 'denied';
return {analytics_storage: a, ad_storage: m, ad_user_data: m, ad_personalization: m};
}

function ss(value) {
// sessionStorage may be unavailable (sandboxed frames, privacy modes): then the marker is lost.
try {
if (value === 0) sessionStorage.removeItem(LM);
else if (value) sessionStorage.setItem(LM, '1');
return sessionStorage.getItem(LM);
} catch (e) {}
}

// The readable payload of a signed token (base64url JSON before the dot); 0 when undecodable.
function payload(name) {
var m = d.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
if (!m) return null;
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
d.cookie = name + '=; path=/; max-age=0; expires=Thu, 01 Jan 1970 00:00:00 GMT' + domain;
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

// Runs the <script type="text/plain" data-consent-category="..."> of granted categories.
function activate() {
d.querySelectorAll('script[type="text/plain"][data-consent-category]').forEach(function (old) {
if (!granted[old.getAttribute('data-consent-category')]) return;
var s = d.createElement('script');
for (var i = 0; i < old.attributes.length; i++) s.setAttribute(old.attributes[i].name, old.attributes[i].value);
s.removeAttribute('type');
if (old.nonce) s.setAttribute('nonce', old.nonce);
s.async = false;
s.text = old.text;
old.parentNode.replaceChild(s, old);
});
}

// Applies a choice; with none yet, only removes what no choice allows.
function apply(cat, none) {
granted = cat;
optional.forEach(function (k) {
if (!cat[k]) purge(k);
});
if (none) return;
activate();
gtag('consent', 'update', consentMode(cat));
w.dispatchEvent(new CustomEvent('consentbanner:change', {detail: cat}));
}

// Records a decision. Same-site services set both cookies themselves (Set-Cookie lasts the full
// validity; Safari caps cookies a script writes at 7 days); otherwise the script writes them.
function decide(action, categories) {
var c = payload('cookie_consent');
var body = {action: action, locale: lang, page: location.origin + location.pathname};
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
apply(res.categories);
}).catch(warn);
}

// A failure turns nothing on: the banner simply shows again on the next page.
function warn(e) {
if (w.console) console.warn('consent banner:', e.message);
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
el('button', {type: 'button', 'class': 'cc-x', 'aria-label': lang == 'en' ? 'Close' : 'Fermer'}, '\u00d7', box).onclick = close;
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
return ready.then(show);
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
else ready.then(function () {
decide('withdraw');
});
});

gtag('consent', 'default', consentMode({}));
var ready = fetch(api + '/policy').then(function (r) {
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
var implied = p.implied_consent_on_continue && !manual, c = stored(), seen = implied && ss();
if (implied) ss(0);
if (c) return apply(c.cat);
apply({}, 1);
// The seed's implied consent: navigating on after "En savoir plus" records "continue", only
// when the policy says so and never under Global Privacy Control.
if (seen && !gpc) decide('continue');
else if (!manual) show();
});
ready.catch(warn);
w.consentBanner = {open: open, get: function () {
return granted;
}};
})(window, document);
