//! `geo-gen`: points inside a bounding box.
//!
//! Generator `point`, params `min_lat`, `max_lat`, `min_lon`, `max_lon` (degrees; defaults:
//! the whole globe). Points are uniform by area on the sphere, not by degree, so boxes that
//! reach high latitudes are not crowded at the poles.
//! - `Array<Double>` fields get `[lat, lon]` (needs `max_capacity` >= 2);
//! - `JSON` fields get `{"lat": .., "lon": ..}`;
//! - `VarChar` fields get WKT, `POINT(lon lat)`.

use milvus_ingest_sdk::prelude::*;
use milvus_ingest_sdk::serde_json::json;

pub struct GeoGen;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lon: f64,
    pub max_lon: f64,
}

impl BBox {
    pub fn from_request(req: &GenerateRequest) -> Result<BBox, String> {
        let b = BBox {
            min_lat: req.param_f64("min_lat", -90.0)?,
            max_lat: req.param_f64("max_lat", 90.0)?,
            min_lon: req.param_f64("min_lon", -180.0)?,
            max_lon: req.param_f64("max_lon", 180.0)?,
        };
        let lat_ok = -90.0 <= b.min_lat && b.min_lat <= b.max_lat && b.max_lat <= 90.0;
        let lon_ok = -180.0 <= b.min_lon && b.min_lon <= b.max_lon && b.max_lon <= 180.0;
        if !(lat_ok && lon_ok) {
            return Err(format!(
                "bounding box must satisfy -90 <= min_lat <= max_lat <= 90 and -180 <= min_lon <= max_lon <= 180, got lat {}..{}, lon {}..{}",
                b.min_lat, b.max_lat, b.min_lon, b.max_lon
            ));
        }
        Ok(b)
    }

    /// A point uniform by area: longitude uniform, sine of latitude uniform.
    pub fn sample(&self, rng: &mut RowRng) -> (f64, f64) {
        let (s0, s1) = (
            self.min_lat.to_radians().sin(),
            self.max_lat.to_radians().sin(),
        );
        let lat = rng.range_f64(s0, s1).clamp(-1.0, 1.0).asin().to_degrees();
        let lon = rng.range_f64(self.min_lon, self.max_lon);
        // Rounding to ~1 cm keeps files small and values readable.
        let round = |x: f64| (x * 1e7).round() / 1e7;
        (
            round(lat).clamp(self.min_lat, self.max_lat),
            round(lon).clamp(self.min_lon, self.max_lon),
        )
    }
}

impl Generator for GeoGen {
    fn info() -> PluginInfo {
        let degrees = |lo: i32, hi: i32| json!({"type": "number", "minimum": lo, "maximum": hi});
        PluginInfo::new(
            "geo-gen",
            env!("CARGO_PKG_VERSION"),
            "points inside a bounding box",
        )
        // Every value is a function of (seed, field, params, row): instances may be reused.
        .stateless()
        .function(
            FunctionInfo::new(
                "point",
                "[lat, lon] for Array<Double>, {\"lat\",\"lon\"} for JSON, WKT for VarChar",
                &[MilvusType::Array, MilvusType::Json, MilvusType::VarChar],
            )
            .params_schema(json!({
                "type": "object",
                "properties": {
                    "min_lat": degrees(-90, 90), "max_lat": degrees(-90, 90),
                    "min_lon": degrees(-180, 180), "max_lon": degrees(-180, 180)
                },
                "additionalProperties": false
            })),
        )
    }

    fn generate(req: GenerateRequest) -> Result<Column, String> {
        if req.generator != "point" {
            return Err(format!("no generator `{}`; expected point", req.generator));
        }
        let bbox = BBox::from_request(&req)?;
        let n = req.row_count as usize;
        let points = req
            .rows()
            .map(|row| bbox.sample(&mut RowRng::for_row(req.seed, &req.field.name, row)));
        match req.field.milvus_type() {
            Some(MilvusType::Array) => {
                if req.field.element_type() != Some(MilvusType::Double) {
                    return Err("Array fields need element_type Double".into());
                }
                if req.field.max_capacity.is_some_and(|c| c < 2) {
                    return Err("Array fields need max_capacity >= 2".into());
                }
                let mut values = Vec::with_capacity(2 * n);
                for (lat, lon) in points {
                    values.push(lat);
                    values.push(lon);
                }
                Ok(Column::f64_arrays(vec![2; n], values))
            }
            Some(MilvusType::Json) => Ok(Column::strings(
                points
                    .map(|(lat, lon)| json!({"lat": lat, "lon": lon}).to_string())
                    .collect(),
            )),
            Some(MilvusType::VarChar) => {
                let limit = req.field.max_length.unwrap_or(u32::MAX) as usize;
                let wkt: Vec<String> = points
                    .map(|(lat, lon)| format!("POINT({lon} {lat})"))
                    .collect();
                if let Some(long) = wkt.iter().find(|w| w.len() > limit) {
                    return Err(format!(
                        "max_length {limit} is too short for `{long}`; use 48 or more"
                    ));
                }
                Ok(Column::strings(wkt))
            }
            _ => Err(format!(
                "geo-gen supports Array<Double>, JSON and VarChar, field `{}` is {}",
                req.field.name, req.field.type_name
            )),
        }
    }
}

milvus_ingest_sdk::export_generator!(GeoGen);

#[cfg(test)]
mod tests {
    use super::*;

    fn request(field: &str, params: &str) -> GenerateRequest {
        GenerateRequest::from_wire("point".into(), field.into(), params, 3, 1024, 500).unwrap()
    }

    const BOX: &str = r#"{"min_lat": 40.0, "max_lat": 41.0, "min_lon": -74.5, "max_lon": -73.0}"#;

    #[test]
    fn array_points_stay_in_the_box() {
        let field = r#"{"name":"loc","type":"Array","element_type":"Double","max_capacity":2}"#;
        let c = GeoGen::generate(request(field, BOX)).unwrap();
        let ColumnData::Array(a) = c.data else {
            panic!()
        };
        assert_eq!(a.lengths, vec![2; 500]);
        let Scalars::F64s(v) = a.values else { panic!() };
        for p in v.chunks(2) {
            assert!(
                (40.0..=41.0).contains(&p[0]) && (-74.5..=-73.0).contains(&p[1]),
                "{p:?}"
            );
        }
    }

    #[test]
    fn json_and_wkt_forms() {
        let c = GeoGen::generate(request(r#"{"name":"g","type":"JSON"}"#, BOX)).unwrap();
        let ColumnData::Scalar(Scalars::Strings(v)) = c.data else {
            panic!()
        };
        let p: milvus_ingest_sdk::serde_json::Value =
            milvus_ingest_sdk::serde_json::from_str(&v[0]).unwrap();
        assert!(p["lat"].as_f64().unwrap() >= 40.0);
        let c = GeoGen::generate(request(
            r#"{"name":"w","type":"VarChar","max_length":64}"#,
            BOX,
        ))
        .unwrap();
        let ColumnData::Scalar(Scalars::Strings(v)) = c.data else {
            panic!()
        };
        assert!(v[0].starts_with("POINT(-7"), "{}", v[0]);
    }

    #[test]
    fn bad_boxes_and_types_are_errors() {
        let field = r#"{"name":"g","type":"JSON"}"#;
        let err =
            GeoGen::generate(request(field, r#"{"min_lat": 50, "max_lat": 10}"#)).unwrap_err();
        assert!(err.contains("min_lat"), "{err}");
        assert!(GeoGen::generate(request(r#"{"name":"x","type":"Int64"}"#, "null")).is_err());
    }

    #[test]
    fn whole_globe_is_area_uniform() {
        let b = BBox {
            min_lat: -90.0,
            max_lat: 90.0,
            min_lon: -180.0,
            max_lon: 180.0,
        };
        let n = 20_000;
        let polar = (0..n)
            .filter(|i| b.sample(&mut RowRng::for_row(1, "p", *i)).0.abs() > 60.0)
            .count() as f64;
        // Area above |lat| 60 is 1 - sin(60) = 13.4% of the sphere.
        assert!((polar / n as f64 - 0.134).abs() < 0.02, "{polar}");
    }
}
