//! Conversions between Java values and the host API: option arrays in, provider handles,
//! snapshots out.

use jni::objects::{JLongArray, JObject, JObjectArray, JString};
use jni::sys::jlong;
use jni::JNIEnv;

use crate::bridge::{self, Failure};
use crate::contract::{Number, Text, NO_EXPIRATION, NO_VALUE, STATUS_FIELD_COLUMNS};
use freshcreds_core::error::Error;
use freshcreds_core::host::{FreshSource, Snapshot, SourceOptions};
use freshcreds_core::refresh::{self, FieldValue};

/// Local references one element of a string array may need while it is read.
const STRING_FRAME_CAPACITY: i32 = 8;

/// Reads `keys[i]=values[i]` pairs into provider options.
pub(crate) fn options(
    env: &mut JNIEnv<'_>,
    keys: &JObjectArray<'_>,
    values: &JObjectArray<'_>,
) -> Result<SourceOptions, Failure> {
    let keys = strings(env, keys, "option keys")?;
    let values = strings(env, values, "option values")?;
    if keys.len() != values.len() {
        return Err(Error::invalid_config(format!(
            "freshcreds options: {} keys but {} values",
            keys.len(),
            values.len()
        ))
        .into());
    }
    Ok(SourceOptions::from_pairs(keys.into_iter().zip(values))?)
}

/// A Java string read with one copy: its modified UTF-8 straight into the Rust buffer (no
/// buffer of the JVM's in between). An option value may be the JVM's whole trust store
/// (hundreds of kilobytes) and thousands of role sessions each pass it: every extra copy was a
/// large transient allocation that fragmented the native heap. Modified UTF-8 that is not UTF-8
/// (a NUL or a character outside the BMP) is decoded by `get_string`.
fn read_string(env: &mut JNIEnv<'_>, s: &JString<'_>) -> Result<String, Failure> {
    let raw = env.get_raw();
    // SAFETY: `raw` is this thread's JNIEnv and `s` a live local reference to a non-null
    // `java.lang.String`; the buffer holds the string's modified UTF-8 length plus the NUL
    // HotSpot writes after it, and the region asked for is the whole string.
    let bytes = unsafe {
        let functions = &**raw;
        let (Some(length), Some(utf_length), Some(region)) = (
            functions.GetStringLength,
            functions.GetStringUTFLength,
            functions.GetStringUTFRegion,
        ) else {
            return Ok(env.get_string(s)?.into());
        };
        let chars = length(raw, s.as_raw());
        let utf_len = usize::try_from(utf_length(raw, s.as_raw())).unwrap_or(0);
        let mut buf = vec![0u8; utf_len + 1];
        region(raw, s.as_raw(), 0, chars, buf.as_mut_ptr().cast());
        buf.truncate(utf_len);
        buf
    };
    if env.exception_check()? {
        return Err(jni::errors::Error::JavaException.into());
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => Ok(env.get_string(s)?.into()),
    }
}

/// The strings of a `String[]`; a null array or element is an `InvalidConfig` error.
fn strings(
    env: &mut JNIEnv<'_>,
    array: &JObjectArray<'_>,
    what: &str,
) -> Result<Vec<String>, Failure> {
    if array.is_null() {
        return Err(Error::invalid_config(format!("freshcreds {what}: null array")).into());
    }
    let len = env.get_array_length(array)?;
    let mut out = Vec::with_capacity(len as usize);
    for i in 0..len {
        // A frame per element: `get_string` also creates local references of its own (a class
        // lookup), which would otherwise pile up past the JVM's 32 for a long option list.
        let value = env.with_local_frame(
            STRING_FRAME_CAPACITY,
            |env| -> Result<Option<String>, Failure> {
                let element = env.get_object_array_element(array, i)?;
                if element.is_null() {
                    return Ok(None);
                }
                let element = JString::from(element);
                Ok(Some(read_string(env, &element)?))
            },
        )?;
        match value {
            Some(v) => out.push(v),
            None => {
                return Err(Error::invalid_config(format!(
                    "freshcreds {what}: element {i} is null"
                ))
                .into())
            }
        }
    }
    Ok(out)
}

/// A new handle owning `provider` (see [`bridge::into_handle`]), as a Java `long`.
pub(crate) fn into_handle(provider: FreshSource) -> jlong {
    bridge::into_handle(provider) as jlong
}

/// The fresh source behind a handle that is still open.
///
/// # Safety
/// `handle` must be 0 or a value returned by [`into_handle`] that [`close_handle`] has not
/// consumed (the Java side serializes close against every other call).
pub(crate) unsafe fn provider<'a>(handle: jlong) -> Result<&'a FreshSource, Failure> {
    // SAFETY: per this function's contract.
    unsafe { bridge::handle_ref(handle as *const FreshSource) }
}

/// Closes the fresh source and frees the handle; 0 is ignored.
///
/// # Safety
/// As [`provider`]; after this call `handle` must not be used again.
pub(crate) unsafe fn close_handle(handle: jlong) {
    // SAFETY: per this function's contract the handle came from `into_handle` and is freed once.
    if let Some(provider) = unsafe { bridge::release_handle(handle as *mut FreshSource) } {
        provider.close();
    }
}

/// Runs `call` (a read of credentials) on the fresh source behind `handle` and writes its snapshot
/// out: strings as the returned `String[]`, numbers into `longs`.
pub(crate) fn snapshot<'local>(
    env: &mut JNIEnv<'local>,
    handle: jlong,
    longs: &JLongArray<'_>,
    call: impl FnOnce(&FreshSource) -> Result<Snapshot, Error>,
) -> Result<JObjectArray<'local>, Failure> {
    // SAFETY: the Java side passes an open handle and serializes close.
    let snapshot = call(unsafe { provider(handle) }?)?;
    let c = &snapshot.credentials;
    let numbers = Number::ALL.map(|(number, _)| match number {
        Number::Expiration => snapshot
            .expiration
            .map_or(NO_EXPIRATION, |e| e.timestamp_millis()),
        Number::ServeFor => i64::try_from(snapshot.serve_for.as_millis()).unwrap_or(i64::MAX),
        Number::Stale => jlong::from(snapshot.stale),
    });
    write_longs(env, longs, &numbers, "numbers")?;
    let fields = Text::ALL.map(|(text, _)| match text {
        Text::AccessKeyId => Some(c.access_key_id()),
        Text::SecretAccessKey => Some(c.secret_access_key()),
        Text::SessionToken => c.session_token(),
        Text::Source => Some(c.source()),
        Text::AccountId => c.account_id(),
    });
    string_array(env, &fields)
}

/// The rows of `status_fields()` as one `String[]`, [`STATUS_FIELD_COLUMNS`] strings per row.
pub(crate) fn status_fields<'local>(
    env: &mut JNIEnv<'local>,
) -> Result<JObjectArray<'local>, Failure> {
    let rows: Vec<[String; STATUS_FIELD_COLUMNS]> = refresh::status_fields()
        .iter()
        .map(|f| {
            [
                f.name.to_string(),
                f.kind.name().to_string(),
                f.unit.to_string(),
                f.meter.to_string(),
                f.jmx.to_string(),
                f.jmx_view.spelled(),
                f.doc.to_string(),
            ]
        })
        .collect();
    let cells: Vec<Option<&str>> = rows.iter().flatten().map(|c| Some(c.as_str())).collect();
    string_array(env, &cells)
}

/// Writes the fresh source's status out, field by field of `status_fields()`: the numbers into
/// `longs` ([`NO_VALUE`] where there is none), the texts as the returned `String[]`.
pub(crate) fn status<'local>(
    env: &mut JNIEnv<'local>,
    handle: jlong,
    longs: &JLongArray<'_>,
) -> Result<JObjectArray<'local>, Failure> {
    // SAFETY: the Java side passes an open handle and serializes close.
    let status = unsafe { provider(handle) }?.engine().status();
    let values = status.field_values();
    let mut numbers: Vec<jlong> = Vec::with_capacity(values.len());
    let mut texts: Vec<Option<&str>> = Vec::with_capacity(values.len());
    for value in &values {
        match value {
            FieldValue::Number(n) => numbers.push(n.unwrap_or(NO_VALUE)),
            FieldValue::Text(t) => texts.push(t.as_deref()),
        }
    }
    write_longs(env, longs, &numbers, "status")?;
    string_array(env, &texts)
}

/// Copies `numbers` into the Java `long[]`, which must hold at least as many (`what` names the
/// array in the error).
fn write_longs(
    env: &mut JNIEnv<'_>,
    longs: &JLongArray<'_>,
    numbers: &[jlong],
    what: &str,
) -> Result<(), Failure> {
    if longs.is_null() || (env.get_array_length(longs)? as usize) < numbers.len() {
        return Err(Error::new(
            freshcreds_core::error::ErrorKind::Internal,
            format!(
                "freshcreds bridge: the {what} array must have {} elements",
                numbers.len()
            ),
        )
        .into());
    }
    env.set_long_array_region(longs, 0, numbers)?;
    Ok(())
}

/// A `String[]` of `fields`, null where a field is `None`.
fn string_array<'local>(
    env: &mut JNIEnv<'local>,
    fields: &[Option<&str>],
) -> Result<JObjectArray<'local>, Failure> {
    let out = env.new_object_array(fields.len() as i32, "java/lang/String", JObject::null())?;
    for (i, field) in fields.iter().enumerate() {
        if let Some(text) = field {
            let s = env.new_string(text)?;
            env.set_object_array_element(&out, i as i32, &s)?;
            env.delete_local_ref(s)?;
        }
    }
    Ok(out)
}

/// The text of a Java string argument; null is an invalid argument naming `what`.
pub(crate) fn java_string(
    env: &mut JNIEnv<'_>,
    s: &JString<'_>,
    what: &str,
) -> Result<String, Failure> {
    if s.is_null() {
        return Err(Failure::InvalidArgument(format!(
            "freshcreds: {what} is null"
        )));
    }
    Ok(env.get_string(s)?.into())
}

/// A Java string.
pub(crate) fn string<'local>(
    env: &mut JNIEnv<'local>,
    text: &str,
) -> Result<JString<'local>, Failure> {
    Ok(env.new_string(text)?)
}
