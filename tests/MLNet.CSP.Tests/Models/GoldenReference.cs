using System.Text.Json;

namespace MLNet.CSP.Tests.Models;

/// <summary>One reference model's golden file (see TestData/golden/PROTOCOL.md).</summary>
internal sealed class GoldenReference
{
    private GoldenReference(JsonElement root) => Root = root;

    public JsonElement Root { get; }

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "TestData", "golden");

    public static bool Exists(string model) => File.Exists(Path.Combine(Directory, model + ".json"));

    public static GoldenReference Load(string model)
    {
        using var stream = File.OpenRead(Path.Combine(Directory, model + ".json"));
        using var doc = JsonDocument.Parse(stream);
        return new GoldenReference(doc.RootElement.Clone());
    }

    public long ParamCount => Root.GetProperty("param_count").GetInt64();
    public long BufferCount => Root.GetProperty("buffer_count").GetInt64();
    public long ConvMacs => Root.GetProperty("macs_224_batch1").GetProperty("conv2d").GetInt64();
    public long LinearMacs => Root.GetProperty("macs_224_batch1").GetProperty("linear").GetInt64();

    public IReadOnlyList<(string Name, long[] Shape, string DType, double? Sum)> StateDict =>
        Root.GetProperty("state_dict").EnumerateArray().Select(e => (
            e.GetProperty("name").GetString()!,
            e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
            e.GetProperty("dtype").GetString()!,
            e.TryGetProperty("sum", out var s) ? s.GetDouble() : (double?)null)).ToList();

    public JsonElement InputA => Root.GetProperty("input_A");

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public static long[] Longs(JsonElement array) => array.EnumerateArray().Select(v => v.GetInt64()).ToArray();
}
