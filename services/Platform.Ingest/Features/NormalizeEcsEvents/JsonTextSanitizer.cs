using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Platform.Ingest.Features.NormalizeEcsEvents;

/// <summary>
/// Makes event text storable before anything else reads it. PostgreSQL's jsonb cannot hold U+0000, so each NUL in a
/// string (<c>\u0000</c>) becomes U+FFFD, visibly; everything else stays as it came. A string escape that is not
/// UTF-16 text at all (an unpaired surrogate such as <c>\ud800</c>) cannot be stored either, and is an error naming
/// the field. Valid UTF-8 can carry neither except as an escape, so a body without such escapes is passed as it is.
/// </summary>
public static class JsonTextSanitizer
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <returns>The JSON to parse (the input itself when nothing needed replacing), or the error that names the field.</returns>
    public static (ReadOnlyMemory<byte> Json, string? Error) Sanitize(ReadOnlyMemory<byte> json)
    {
        if (!HasSuspectEscape(json.Span))
            return (json, null);
        var output = new ArrayBufferWriter<byte>(json.Length);
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        var reader = new Utf8JsonReader(json.Span, ReaderOptions);
        var path = new List<object>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        NextElement(path);
                        writer.WriteStartObject();
                        path.Add("");
                        break;
                    case JsonTokenType.StartArray:
                        NextElement(path);
                        writer.WriteStartArray();
                        path.Add(-1);
                        break;
                    case JsonTokenType.EndObject:
                        writer.WriteEndObject();
                        path.RemoveAt(path.Count - 1);
                        break;
                    case JsonTokenType.EndArray:
                        writer.WriteEndArray();
                        path.RemoveAt(path.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        var name = Text(ref reader);
                        path[^1] = name;
                        writer.WritePropertyName(name);
                        break;
                    case JsonTokenType.String:
                        NextElement(path);
                        writer.WriteStringValue(Text(ref reader));
                        break;
                    default:
                        NextElement(path);
                        writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return (json, null); // not valid JSON: the parser says so, with its own words
        }
        catch (InvalidOperationException)
        {
            return (json, $"{Path(path)}: is not text (an unpaired UTF-16 surrogate escape such as \\ud800); it cannot be stored.");
        }
        writer.Flush();
        return (output.WrittenMemory, null);
    }

    private static string Text(ref Utf8JsonReader reader) =>
        // GetString throws InvalidOperationException for an escape that is not UTF-16 text.
        reader.GetString()!.Replace('\0', '\uFFFD');

    /// <summary>Whether the body has a <c>\u0000</c> or a surrogate escape (<c>\uD800</c>–<c>\uDFFF</c>) anywhere.</summary>
    private static bool HasSuspectEscape(ReadOnlySpan<byte> json)
    {
        var at = 0;
        while (true)
        {
            var found = json[at..].IndexOf("\\u"u8);
            if (found < 0 || at + found + 6 > json.Length)
                return false;
            var hex = json.Slice(at + found + 2, 4);
            if (hex.SequenceEqual("0000"u8) || ((hex[0] | 0x20) == 'd' && (hex[1] | 0x20) is >= (byte)'8' and <= (byte)'f'))
                return true;
            at += found + 2;
        }
    }

    /// <summary>A value begins: inside an array, it is the next element.</summary>
    private static void NextElement(List<object> path)
    {
        if (path.Count > 0 && path[^1] is int index)
            path[^1] = index + 1;
    }

    private static string Path(List<object> path) =>
        "$" + string.Concat(path.Select(p => p switch { int i => $"[{Math.Max(i, 0)}]", string { Length: > 0 } s => "." + s, _ => "" }));
}
