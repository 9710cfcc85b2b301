using MLNet.CSP.Imaging;
using MLNet.CSP.Models;
using MLNet.CSP.Weights;

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

    /// <summary>Magic, format version, byte length, then a safetensors state dict.</summary>
    public static void WriteWeights(BinaryWriter writer, Backbone backbone)
    {
        using var buffer = new MemoryStream();
        Checkpoint.SaveSafetensors(backbone, buffer);
        writer.Write(WeightsMagic);
        writer.Write(1);
        writer.Write(buffer.Length);
        buffer.Position = 0;
        buffer.CopyTo(writer.BaseStream);
    }

    public static void ReadWeights(BinaryReader reader, Backbone backbone)
    {
        const string source = "the model file's " + WeightsStream;
        try
        {
            if (reader.ReadUInt32() != WeightsMagic) throw new InvalidDataException($"{source} does not start with the MLNet.CSP weights header.");
            int format = reader.ReadInt32();
            if (format != 1) throw new InvalidDataException($"{source} has weights format {format}; this version reads format 1.");
            long length = reader.ReadInt64();
            long available = reader.BaseStream.Length - reader.BaseStream.Position;
            if (length != available) throw new InvalidDataException($"{source} is truncated: {available} of {length} weight bytes present.");
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{source} is truncated.", e);
        }
        var stateDict = Checkpoint.ReadSafetensors(reader.BaseStream, source);
        try
        {
            Checkpoint.Load(backbone, stateDict, source);
        }
        finally
        {
            foreach (var t in stateDict.Values) t.Dispose();
        }
    }
}
