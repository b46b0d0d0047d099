//! The Kubernetes side of the pipeline's [`RecordStore`] seam: records are custom resources.
//!
//! [`KubeRecords`] is scoped to one Order's namespace (Menus and Recipes are cluster-scoped).
//! Writes follow the API server's rules rather than "replace the file":
//!
//! - a Preparation is *created* (owned by its Order, so deleting the Order deletes it); if it
//!   already exists — a retry, or another operator instance got there first — the existing one
//!   is kept (its spec is immutable and its name is its digest); its status goes through the
//!   status subresource;
//! - an Order's put writes only its status (the spec is the user's);
//! - a Serving's put writes its spec by server-side apply (field manager [`FIELD_MANAGER`]);
//!   its status belongs to the Serving controller, which observes Argo CD.

use std::io;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kokumi_core::api::ORDER_LABEL;
use kokumi_pipeline::record::{Kind, Record, RecordStore, name_of};
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

/// The field manager of every write the operator makes.
pub const FIELD_MANAGER: &str = "kokumi";

/// Records of one namespace, as custom resources.
#[derive(Clone)]
pub struct KubeRecords {
    client: Client,
    namespace: String,
    /// The Order being reconciled: its Preparations get it as owner, and listings of
    /// Preparations and Servings are narrowed to it by label.
    order: Option<(String, OwnerReference)>,
}

impl std::fmt::Debug for KubeRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeRecords")
            .field("namespace", &self.namespace)
            .field("order", &self.order.as_ref().map(|(n, _)| n))
            .finish_non_exhaustive()
    }
}

fn store_error(what: &str, error: impl std::fmt::Display) -> kokumi_pipeline::Error {
    kokumi_pipeline::Error::Io {
        path: format!("kubernetes:{what}").into(),
        source: io::Error::other(error.to_string()),
    }
}

fn cluster_scoped(kind: Kind) -> bool {
    matches!(kind, Kind::Menu | Kind::Recipe)
}

impl KubeRecords {
    /// Records in `namespace`.
    pub fn new(client: Client, namespace: impl Into<String>) -> Self {
        Self {
            client,
            namespace: namespace.into(),
            order: None,
        }
    }

    /// Records while reconciling the Order `name` (owner of the Preparations written).
    #[must_use]
    pub fn for_order(mut self, name: impl Into<String>, owner: OwnerReference) -> Self {
        self.order = Some((name.into(), owner));
        self
    }

    fn api<R: Record>(&self) -> Api<DynamicObject> {
        let resource = ApiResource::erase::<R>(&());
        if cluster_scoped(R::KIND) {
            Api::all_with(self.client.clone(), &resource)
        } else {
            Api::namespaced_with(self.client.clone(), &self.namespace, &resource)
        }
    }

    fn what<R: Record>(&self, name: &str) -> String {
        if cluster_scoped(R::KIND) {
            format!("{}/{name}", R::KIND.plural())
        } else {
            format!("{}/{}/{name}", R::KIND.plural(), self.namespace)
        }
    }

    fn decode<R: Record>(&self, object: &DynamicObject) -> kokumi_pipeline::Result<R> {
        let name = object.metadata.name.clone().unwrap_or_default();
        let mut value =
            serde_json::to_value(object).map_err(|e| store_error(&self.what::<R>(&name), e))?;
        value["apiVersion"] = json!(R::api_version(&()));
        value["kind"] = json!(R::kind(&()));
        serde_json::from_value(value).map_err(|e| kokumi_pipeline::Error::Corrupt {
            path: format!("kubernetes:{}", self.what::<R>(&name)).into(),
            line: None,
            message: e.to_string(),
        })
    }

    fn encode<R: Record>(&self, record: &R) -> kokumi_pipeline::Result<Value> {
        serde_json::to_value(record).map_err(|e| kokumi_pipeline::Error::Encode {
            what: self.what::<R>(name_of(record)),
            message: e.to_string(),
        })
    }

    async fn put_preparation(&self, name: &str, mut value: Value) -> kokumi_pipeline::Result<()> {
        let api = self.api::<kokumi_core::api::Preparation>();
        let what = self.what::<kokumi_core::api::Preparation>(name);
        let status = value.get("status").cloned();
        if let Some((_, owner)) = &self.order {
            value["metadata"]["ownerReferences"] = json!([owner]);
        }
        for server_owned in ["resourceVersion", "uid", "creationTimestamp", "generation"] {
            if let Some(m) = value["metadata"].as_object_mut() {
                m.remove(server_owned);
            }
        }
        let object: DynamicObject =
            serde_json::from_value(value).map_err(|e| store_error(&what, e))?;
        let existing = match api.create(&PostParams::default(), &object).await {
            Ok(created) => created,
            Err(kube::Error::Api(s)) if s.code == 409 => {
                api.get(name).await.map_err(|e| store_error(&what, e))?
            }
            Err(e) => return Err(store_error(&what, e)),
        };
        if let Some(mut status) = status
            && existing.data.get("status") != Some(&status)
        {
            // A merge patch keeps what it doesn't name: a field the new status leaves out
            // (say `ociRef`, once the artifact is back at its first place) is removed by name.
            if let (Some(new), Some(Value::Object(old))) =
                (status.as_object_mut(), existing.data.get("status"))
            {
                for key in old.keys() {
                    new.entry(key.clone()).or_insert(Value::Null);
                }
            }
            api.patch_status(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({"status": status})),
            )
            .await
            .map_err(|e| store_error(&what, e))?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl RecordStore for KubeRecords {
    async fn get<R: Record>(&self, name: &str) -> kokumi_pipeline::Result<Option<R>> {
        match self.api::<R>().get_opt(name).await {
            Ok(Some(object)) => self.decode(&object).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(store_error(&self.what::<R>(name), e)),
        }
    }

    async fn list<R: Record>(&self) -> kokumi_pipeline::Result<Vec<R>> {
        let mut params = ListParams::default();
        if let (Kind::Preparation | Kind::Serving, Some((order, _))) = (R::KIND, &self.order) {
            params = params.labels(&format!("{ORDER_LABEL}={order}"));
        }
        let list = self
            .api::<R>()
            .list(&params)
            .await
            .map_err(|e| store_error(&self.what::<R>("*"), e))?;
        let mut records = list
            .items
            .iter()
            .map(|o| self.decode(o))
            .collect::<kokumi_pipeline::Result<Vec<R>>>()?;
        records.sort_by(|a, b| name_of(a).cmp(name_of(b)));
        Ok(records)
    }

    async fn put<R: Record>(&self, record: &R) -> kokumi_pipeline::Result<()> {
        let name = name_of(record).to_owned();
        let what = self.what::<R>(&name);
        let value = self.encode(record)?;
        match R::KIND {
            Kind::Preparation => self.put_preparation(&name, value).await,
            Kind::Order => {
                let status = value.get("status").cloned().unwrap_or(Value::Null);
                self.api::<R>()
                    .patch_status(
                        &name,
                        &PatchParams::default(),
                        &Patch::Merge(json!({"status": status})),
                    )
                    .await
                    .map(|_| ())
                    .map_err(|e| store_error(&what, e))
            }
            Kind::Serving => {
                let mut applied = json!({
                    "apiVersion": R::api_version(&()),
                    "kind": R::kind(&()),
                    "metadata": {"name": name},
                    "spec": value["spec"],
                });
                for field in ["labels", "ownerReferences"] {
                    if let Some(v) = value["metadata"].get(field) {
                        applied["metadata"][field] = v.clone();
                    }
                }
                self.api::<R>()
                    .patch(
                        &name,
                        &PatchParams::apply(FIELD_MANAGER).force(),
                        &Patch::Apply(applied),
                    )
                    .await
                    .map(|_| ())
                    .map_err(|e| store_error(&what, e))
            }
            _ => {
                let params = PatchParams::apply(FIELD_MANAGER).force();
                let mut value = value;
                if let Some(m) = value["metadata"].as_object_mut() {
                    m.remove("resourceVersion");
                    m.remove("managedFields");
                }
                self.api::<R>()
                    .patch(&name, &params, &Patch::Apply(value))
                    .await
                    .map(|_| ())
                    .map_err(|e| store_error(&what, e))
            }
        }
    }

    async fn delete<R: Record>(&self, name: &str) -> kokumi_pipeline::Result<bool> {
        match self.api::<R>().delete(name, &Default::default()).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
            Err(e) => Err(store_error(&self.what::<R>(name), e)),
        }
    }
}
