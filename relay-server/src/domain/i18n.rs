//! Customer-facing texts in English, Ukrainian, Russian and Chinese, from
//! the translation files in `relay-server/locales/` (built in), optionally
//! overridden by an operator's folder of files with the same names.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

/// A language the bot speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Uk,
    Ru,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Uk, Lang::Ru, Lang::Zh];

    /// The customer's language.
    pub fn of(c: &shared::Customer) -> Lang {
        Lang::from_code(c.language.as_deref())
    }

    /// From a Telegram `language_code` ("uk", "ru-RU", "zh-hans", ...);
    /// English when unknown or absent.
    pub fn from_code(code: Option<&str>) -> Lang {
        let primary = code
            .unwrap_or("en")
            .split(['-', '_'])
            .next()
            .unwrap_or("en")
            .to_ascii_lowercase();
        match primary.as_str() {
            "uk" => Lang::Uk,
            "ru" => Lang::Ru,
            "zh" => Lang::Zh,
            _ => Lang::En,
        }
    }

    /// The language's own name, for the /language buttons.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Uk => "Українська",
            Lang::Ru => "Русский",
            Lang::Zh => "中文",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Uk => "uk",
            Lang::Ru => "ru",
            Lang::Zh => "zh",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../../locales/en.toml"),
            Lang::Uk => include_str!("../../locales/uk.toml"),
            Lang::Ru => include_str!("../../locales/ru.toml"),
            Lang::Zh => include_str!("../../locales/zh.toml"),
        }
    }
}

type Catalog = HashMap<Lang, HashMap<String, String>>;

/// Flattens `[section] key = "text"` into `section.key`.
fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out),
            _ => {}
        }
    }
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Lang::ALL
            .into_iter()
            .map(|lang| {
                let table: toml::Table = lang
                    .source()
                    .parse()
                    .expect("built-in translation files are valid TOML");
                let mut texts = HashMap::new();
                flatten("", &table, &mut texts);
                (lang, texts)
            })
            .collect()
    })
}

/// The text for `key` in `lang` with `{name}` placeholders filled, falling
/// back to English, then to the key itself (never empty, never a panic).
pub fn text(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    lookup(catalog(), None, lang, key, args)
}

fn lookup(
    builtin: &Catalog,
    over: Option<&Catalog>,
    lang: Lang,
    key: &str,
    args: &[(&str, &str)],
) -> String {
    fn find<'c>(c: &'c Catalog, l: Lang, key: &str) -> Option<&'c String> {
        c.get(&l).and_then(|t| t.get(key))
    }
    let raw = over
        .and_then(|o| find(o, lang, key))
        .or_else(|| find(builtin, lang, key))
        .or_else(|| over.and_then(|o| find(o, Lang::En, key)))
        .or_else(|| find(builtin, Lang::En, key))
        .map_or(key, String::as_str);
    let mut out = raw.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The built-in texts plus an operator's overrides.
#[derive(Debug, Clone, Default)]
pub struct Texts {
    overrides: Option<Catalog>,
}

impl Texts {
    /// Reads `<dir>/<code>.toml` for each language that has a file there.
    pub fn load(dir: &Path) -> Result<Texts, String> {
        let mut over = Catalog::new();
        for lang in Lang::ALL {
            let path = dir.join(format!("{}.toml", lang.code()));
            if !path.exists() {
                continue;
            }
            let src = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let table: toml::Table = src
                .parse()
                .map_err(|e: toml::de::Error| format!("{}: {}", path.display(), e.message()))?;
            let mut texts = HashMap::new();
            flatten("", &table, &mut texts);
            over.insert(lang, texts);
        }
        Ok(Texts {
            overrides: Some(over),
        })
    }

    pub fn get(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        lookup(catalog(), self.overrides.as_ref(), lang, key, args)
    }

    /// Whether `key` exists in English (built in or overridden).
    pub fn has(&self, key: &str) -> bool {
        let has = |c: &Catalog| c.get(&Lang::En).is_some_and(|t| t.contains_key(key));
        has(catalog()) || self.overrides.as_ref().is_some_and(has)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key_and_placeholder() {
        let c = catalog();
        let en = &c[&Lang::En];
        assert!(!en.is_empty());
        for lang in Lang::ALL {
            let t = &c[&lang];
            let mut missing: Vec<&String> = en.keys().filter(|k| !t.contains_key(*k)).collect();
            missing.sort();
            assert!(missing.is_empty(), "{}: missing {missing:?}", lang.code());
            let extra: Vec<&String> = t.keys().filter(|k| !en.contains_key(*k)).collect();
            assert!(
                extra.is_empty(),
                "{}: keys not in English {extra:?}",
                lang.code()
            );
            for (k, v) in t {
                let holes = |s: &str| {
                    let mut h: Vec<String> = s
                        .split('{')
                        .skip(1)
                        .filter_map(|p| p.split_once('}').map(|x| x.0.to_owned()))
                        .collect();
                    h.sort();
                    h
                };
                assert_eq!(
                    holes(v),
                    holes(&en[k]),
                    "{}: placeholders of {k}",
                    lang.code()
                );
                assert!(!v.trim().is_empty(), "{}: {k} is empty", lang.code());
            }
        }
    }

    #[test]
    fn language_codes_map_to_languages() {
        assert_eq!(Lang::from_code(Some("uk")), Lang::Uk);
        assert_eq!(Lang::from_code(Some("ru-RU")), Lang::Ru);
        assert_eq!(Lang::from_code(Some("zh-hans")), Lang::Zh);
        assert_eq!(Lang::from_code(Some("de")), Lang::En);
        assert_eq!(Lang::from_code(None), Lang::En);
    }

    #[test]
    fn unknown_keys_fall_back_to_the_key() {
        assert_eq!(text(Lang::Zh, "no.such.key", &[]), "no.such.key");
        assert!(text(Lang::Uk, "flood.slow_down", &[]).contains("людина"));
    }
}
