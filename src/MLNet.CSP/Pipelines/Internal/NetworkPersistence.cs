
namespace MLNet.CSP.Pipelines.Internal;

/// <summary>
/// The parts of a saved entry that every MLNet.CSP transformer shares (docs/model-format.md): preprocessing block,
/// device settings, and the versioned safetensors weights stream.
/// </summary>
internal static class NetworkPersistence
{
    public const string WeightsStream = "Weights.safetensors";
    private const uint WeightsMagic = 0x57505343; // "CSPW"

    public static void WritePreprocessing(BinaryWriter writer, ImagePreprocessing p)
    {
        writer.Write(p.ImageSize);
        writer.Write(p.ResizeSize);
        writer.Write((int)p.Interpolation);
        foreach (var v in p.Mean.Concat(p.Std)) writer.Write(v);
    }

    public static ImagePreprocessing ReadPreprocessing(BinaryReader reader)
    {
        int size = reader.ReadInt32();
        int resize = reader.ReadInt32();
        var interpolation = (Interpolation)reader.ReadInt32();
        var mean = new[] { reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle() };
        var std = new[] { reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle() };
        return new ImagePreprocessing(size, resize, interpolation, mean, std);
    }

    /// <summary>Requested device ("" = follow MLContext) and fall-back flag (-1 follow MLContext, 0 no, 1 yes).</summary>
    public static void WriteDevice(BinaryWriter writer, string? device, bool? fallbackToCpu)
    {
        writer.Write(device ?? "");
        writer.Write(fallbackToCpu is bool f ? (f ? 1 : 0) : -1);
    }

    public static (string? Device, bool? FallbackToCpu) ReadDevice(BinaryReader reader)
    {
        string device = reader.ReadString();
        int fallback = reader.ReadInt32();
        return (device.Length == 0 ? null : device, fallback < 0 ? null : fallback == 1);
    }

    /// <summary>The requested inference engine (format 0x00010002 and later; models written before it ran TorchSharp, and load with Auto).</summary>
    public static void WriteEngine(BinaryWriter writer, InferenceEngine engine) => writer.Write((int)engine);

    public static InferenceEngine ReadEngine(BinaryReader reader, uint written)
    {
        if (written < 0x00010002) return InferenceEngine.Auto;
        var engine = (InferenceEngine)reader.ReadInt32();
        return Enum.IsDefined(engine) ? engine : throw new InvalidDataException($"The model names an unknown inference engine ({(int)engine}).");
    }

    /// <summary>Magic, format version (2), byte length, SHA-256 of the payload, then a safetensors state dict.</summary>
    public static void WriteWeights(BinaryWriter writer, Backbone backbone) => WriteWeights(writer, stream => Checkpoint.SaveSafetensors(backbone, stream));

    /// <summary>The same for any network: <paramref name="save"/> writes its safetensors state dict.</summary>
    public static void WriteWeights(BinaryWriter writer, Action<Stream> save)
    {
        using var buffer = new MemoryStream();
        save(buffer);
        writer.Write(WeightsMagic);
        writer.Write(2);
        writer.Write(buffer.Length);
        writer.Write(AtomicFile.Sha256(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
        buffer.Position = 0;
        buffer.CopyTo(writer.BaseStream);
    }

    public static void ReadWeights(BinaryReader reader, Backbone backbone) =>
        ReadWeights(reader, (stateDict, source) => Checkpoint.Load(backbone, stateDict, source));

    /// <summary>Checks and reads the weights stream, then hands the state dict to <paramref name="load"/> (disposed afterwards).</summary>
    public static void ReadWeights(BinaryReader reader, Action<IReadOnlyDictionary<string, Tensor>, string> load)
    {
        const string source = "the model file's " + WeightsStream;
        byte[] payload;
        try
        {
            if (reader.ReadUInt32() != WeightsMagic) throw new InvalidDataException($"{source} does not start with the MLNet.CSP weights header.");
            int format = reader.ReadInt32();
            if (format is not (1 or 2)) throw new InvalidDataException($"{source} has weights format {format}; this version reads formats 1 and 2.");
            long length = reader.ReadInt64();
            byte[]? expectedHash = format >= 2 ? reader.ReadBytes(32) : null;
            long available = reader.BaseStream.Length - reader.BaseStream.Position;
            if (expectedHash is { Length: < 32 } || length > available)
                throw new InvalidDataException($"{source} is truncated: {Math.Max(0, available)} of {length} weight bytes present.");
            if (length != available) throw new InvalidDataException($"{source} is damaged: {available} weight bytes where its header says {length}.");
            payload = reader.ReadBytes((int)length);
            // Format 1 (MLNet.CSP 1.x) has no checksum; format 2 detects bytes changed after saving (a flipped bit included).
            if (expectedHash is not null && !AtomicFile.Sha256(payload).AsSpan().SequenceEqual(expectedHash))
                throw new InvalidDataException($"{source} is damaged: its bytes do not match the SHA-256 checksum written with them.");
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{source} is truncated.", e);
        }
        using var stream = new MemoryStream(payload, writable: false);
        var stateDict = Checkpoint.ReadSafetensors(stream, source);
        try
        {
            load(stateDict, source);
        }
        finally
        {
            foreach (var t in stateDict.Values) t.Dispose();
        }
    }
}
