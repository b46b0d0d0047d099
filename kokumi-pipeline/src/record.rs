//! The seam between the pipeline and wherever its records live.
//!
//! The pipeline reads Menus, Recipes and Pantries and writes Preparations, Servings and Order
//! status through [`RecordStore`]. The CLI's local mode implements it with files in `.kokumi/`
//! ([`crate::state::LocalState`]); the operator will implement it with custom resources. The
//! in-memory [`MemoryRecords`] serves tests and examples.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use kokumi_core::api::{Menu, Order, Pantry, Preparation, Recipe, Serving};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// The kinds of object the pipeline keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// [`Order`].
    Order,
    /// [`Menu`].
    Menu,
    /// [`Recipe`].
    Recipe,
    /// [`Pantry`].
    Pantry,
    /// [`Preparation`].
    Preparation,
    /// [`Serving`].
    Serving,
}

impl Kind {
    /// Every kind, in the order `kokumi get all` lists them.
    pub const ALL: [Kind; 6] = [
        Kind::Menu,
        Kind::Recipe,
        Kind::Pantry,
        Kind::Order,
        Kind::Preparation,
        Kind::Serving,
    ];

    /// The `kind` field, e.g. `Order`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Order => "Order",
            Kind::Menu => "Menu",
            Kind::Recipe => "Recipe",
            Kind::Pantry => "Pantry",
            Kind::Preparation => "Preparation",
            Kind::Serving => "Serving",
        }
    }

    /// The lower-case plural, e.g. `orders` (directory names, `kokumi get` arguments).
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Order => "orders",
            Kind::Menu => "menus",
            Kind::Recipe => "recipes",
            Kind::Pantry => "pantries",
            Kind::Preparation => "preparations",
            Kind::Serving => "servings",
        }
    }

    /// Parses what a kubectl user types: singular, plural, short name or kind, any case.
    pub fn parse(input: &str) -> Option<Kind> {
        let lower = input.to_ascii_lowercase();
        let kind = match lower.as_str() {
            "order" | "orders" | "ord" => Kind::Order,
            "menu" | "menus" => Kind::Menu,
            "recipe" | "recipes" => Kind::Recipe,
            "pantry" | "pantries" => Kind::Pantry,
            "preparation" | "preparations" | "prep" | "preps" => Kind::Preparation,
            "serving" | "servings" | "srv" => Kind::Serving,
            _ => return None,
        };
        Some(kind)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An API object the pipeline stores: one of the six Kokumi kinds.
pub trait Record:
    kube::Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Send + Sync + 'static
{
    /// Which kind this is.
    const KIND: Kind;
}

impl Record for Order {
    const KIND: Kind = Kind::Order;
}
impl Record for Menu {
    const KIND: Kind = Kind::Menu;
}
impl Record for Recipe {
    const KIND: Kind = Kind::Recipe;
}
impl Record for Pantry {
    const KIND: Kind = Kind::Pantry;
}
impl Record for Preparation {
    const KIND: Kind = Kind::Preparation;
}
impl Record for Serving {
    const KIND: Kind = Kind::Serving;
}

/// The name of a record (`metadata.name`, empty when unset).
pub fn name_of<R: Record>(record: &R) -> &str {
    record.meta().name.as_deref().unwrap_or("")
}

/// Where the pipeline's records live.
///
/// Methods are async so that an implementation may talk to an API server. Reads of a missing
/// object return `Ok(None)`; a damaged object is an error naming it.
#[async_trait::async_trait]
pub trait RecordStore: Send + Sync {
    /// The object of kind `R` called `name`.
    async fn get<R: Record>(&self, name: &str) -> Result<Option<R>>;

    /// Every object of kind `R`, sorted by name.
    async fn list<R: Record>(&self) -> Result<Vec<R>>;

    /// The Preparations of the Order `order` (by `spec.orderName`), sorted by name.
    ///
    /// The default lists every Preparation and keeps the Order's; a store that can narrow the
    /// read (by file name, by label) overrides it, so an Order's history costs what that history
    /// holds, not what the store holds.
    async fn preparations_of(&self, order: &str) -> Result<Vec<Preparation>> {
        Ok(self
            .list::<Preparation>()
            .await?
            .into_iter()
            .filter(|p| p.spec.order_name == order)
            .collect())
    }

    /// Creates or replaces the object (keyed by its `metadata.name`).
    async fn put<R: Record>(&self, record: &R) -> Result<()>;

    /// Deletes the object; `Ok(false)` when there was none.
    async fn delete<R: Record>(&self, name: &str) -> Result<bool>;
}

/// Records in memory, for tests and examples. Stores each object serialised, so what comes back
/// is what a real store would give.
#[derive(Debug, Default)]
pub struct MemoryRecords {
    objects: Mutex<BTreeMap<(Kind, String), serde_json::Value>>,
}

impl MemoryRecords {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn objects(&self) -> std::sync::MutexGuard<'_, BTreeMap<(Kind, String), serde_json::Value>> {
        // A poisoned lock only means another thread panicked mid-test; the map is still whole.
        self.objects
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn decode<R: Record>(name: &str, value: serde_json::Value) -> Result<R> {
    serde_json::from_value(value).map_err(|e| Error::Corrupt {
        path: format!("memory:{}/{name}", R::KIND.plural()).into(),
        line: None,
        message: e.to_string(),
    })
}

#[async_trait::async_trait]
impl RecordStore for MemoryRecords {
    async fn get<R: Record>(&self, name: &str) -> Result<Option<R>> {
        let value = self.objects().get(&(R::KIND, name.to_owned())).cloned();
        value.map(|v| decode(name, v)).transpose()
    }

    async fn list<R: Record>(&self) -> Result<Vec<R>> {
        let values: Vec<(String, serde_json::Value)> = self
            .objects()
            .iter()
            .filter(|((kind, _), _)| *kind == R::KIND)
            .map(|((_, name), v)| (name.clone(), v.clone()))
            .collect();
        values.into_iter().map(|(n, v)| decode(&n, v)).collect()
    }

    async fn put<R: Record>(&self, record: &R) -> Result<()> {
        let name = crate::state::validate_name(R::KIND, name_of(record))?.to_owned();
        let value = serde_json::to_value(record).map_err(|e| Error::Encode {
            what: format!("{} {name}", R::KIND),
            message: e.to_string(),
        })?;
        self.objects().insert((R::KIND, name), value);
        Ok(())
    }

    async fn delete<R: Record>(&self, name: &str) -> Result<bool> {
        Ok(self.objects().remove(&(R::KIND, name.to_owned())).is_some())
    }
}
