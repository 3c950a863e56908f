//! JSON: the result model as the API serves it. Money and percents are exact decimal strings (`"1234.56"`,
//! `"0.1234"`), counts numbers, dates ISO; every row carries the drill links of its cells.

use std::io::Write;

use serde_json::{Map, Value as Json, json};

use crate::engine::Prepared;
use crate::error::Result;
use crate::export::io;
use crate::model::{Header, Type, Value};

/// A cell as JSON.
pub fn value(ty: Type, v: &Value) -> Json {
    match (ty, v) {
        (_, Value::Null) => Json::Null,
        (Type::Count, Value::Count(n)) => Json::from(*n),
        _ => Json::String(v.plain()),
    }
}

/// The cells of one row (or the footer) people see, by column key.
pub fn row(h: &Header, values: &[Value]) -> Json {
    let mut m = Map::new();
    for (i, c) in h.shown() {
        m.insert(c.key.to_string(), value(c.ty, &values[i]));
    }
    Json::Object(m)
}

/// Writes the whole result as one JSON document; returns the number of rows.
pub async fn write<W: Write>(mut p: Prepared, out: &mut W) -> Result<usize> {
    let mut rows = Vec::new();
    let mut totals = crate::model::Totals::new(&p.header.columns);
    while let Some(b) = p.next().await? {
        totals.add(&p.header.columns, &b);
        for r in 0..b.num_rows() {
            let values: Vec<Value> =
                p.header.columns.iter().enumerate().map(|(i, c)| Value::at(c.ty, b.column(i), r)).collect();
            rows.push(json!({"cells": row(&p.header, &values), "drill": p.links(&b, r)}));
        }
    }
    let n = rows.len();
    let totals = p.footer(&totals).await?;
    let doc = json!({
        "header": &p.header,
        "rows": rows,
        "totals": {"cells": row(&p.header, &totals), "drill": p.total_links()},
    });
    serde_json::to_writer_pretty(&mut *out, &doc)
        .map_err(|e| crate::error::Error::Export { format: "json", why: e.to_string() })?;
    writeln!(out).map_err(io("json"))?;
    Ok(n)
}
