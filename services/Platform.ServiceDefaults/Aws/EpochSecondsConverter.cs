using System.Text.Json.Serialization;

namespace Platform.ServiceDefaults.Aws;

/// <summary>ECS's JSON protocol writes times as seconds since the epoch, with a fraction.</summary>
public sealed class EpochSecondsConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        reader.TokenType == System.Text.Json.JsonTokenType.Number
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)(reader.GetDouble() * 1000))
            : DateTimeOffset.Parse(reader.GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    public override void Write(System.Text.Json.Utf8JsonWriter writer, DateTimeOffset value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteNumberValue(value.ToUnixTimeMilliseconds() / 1000.0);
}
