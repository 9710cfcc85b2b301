using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.CSP.Imaging;
using MLNet.CSP.Models;
using MLNet.CSP.Models.Configs;
using MLNet.CSP.MLNet.Internal;
using MLNet.CSP.Weights;

namespace MLNet.CSP.MLNet.Featurizer;

/// <summary>
/// The saved form of a <see cref="CspFeaturizerTransformer"/> inside an ML.NET model zip (documented in
/// docs/model-format.md): a versioned field block, and the backbone weights as a safetensors stream.
/// </summary>
internal static class FeaturizerPersistence
{
    public const string LoaderSignature = "CspFeaturizerTransform";
    public const string WeightsStream = "Weights.safetensors";
    private const uint WeightsMagic = 0x57505343; // "CSPW"

    public static readonly ModelVersion Version = new("CSPFEATR", 0x00010001, LoaderSignature);

    public static void Save(ModelSaveContext ctx, CspFeaturizerTransformer transformer)
    {
        var settings = transformer.Settings;
        var extractor = transformer.Extractor;
        MLNetInternals.Save(ctx, Version, writer =>
        {
            writer.Write(settings.InputColumnName);
            writer.Write(settings.OutputColumnName);
            writer.Write(extractor.Backbone.Architecture);
            writer.Write(extractor.NumFeatures);
            WritePreprocessing(writer, extractor.Preprocessing);
            writer.Write((int)extractor.Pooling);
            writer.Write(settings.BatchSize);
            writer.Write(settings.Device ?? "");
            writer.Write(settings.FallbackToCpu is bool f ? (f ? 1 : 0) : -1);
        }, (WeightsStream, writer => WriteWeights(writer, extractor.Backbone)));
    }

    public static CspFeaturizerTransformer Load(IHostEnvironment env, ModelLoadContext ctx) =>
        MLNetInternals.Load(ctx, Version, (reader, openStream) =>
        {
            string input = reader.ReadString();
            string output = reader.ReadString();
            string architecture = reader.ReadString();
            int numFeatures = reader.ReadInt32();
            var preprocessing = ReadPreprocessing(reader);
            var pooling = (GlobalPooling)reader.ReadInt32();
            int batchSize = reader.ReadInt32();
            string device = reader.ReadString();
            int fallback = reader.ReadInt32();
            var settings = new FeaturizerSettings(input, output, batchSize, device.Length == 0 ? null : device, fallback < 0 ? null : fallback == 1);

            var backbone = Backbones.Create(architecture, numClasses: 0);
            try
            {
                ReadWeights(openStream(WeightsStream), backbone);
                if (backbone.NumFeatures != numFeatures)
                    throw new InvalidDataException($"The saved featurizer has {numFeatures} features but '{architecture}' has {backbone.NumFeatures}.");
                var resolved = TorchDevices.Resolve(env, settings.Device, settings.FallbackToCpu);
                return new CspFeaturizerTransformer(env, settings, new InferenceNetwork(backbone, preprocessing, pooling, resolved));
            }
            catch
            {
                backbone.Dispose();
                throw;
            }
        });

    internal static void WritePreprocessing(BinaryWriter writer, ImagePreprocessing p)
    {
        writer.Write(p.ImageSize);
        writer.Write(p.ResizeSize);
        writer.Write((int)p.Interpolation);
        foreach (var v in p.Mean.Concat(p.Std)) writer.Write(v);
    }

    internal static ImagePreprocessing ReadPreprocessing(BinaryReader reader)
    {
        int size = reader.ReadInt32();
        int resize = reader.ReadInt32();
        var interpolation = (Interpolation)reader.ReadInt32();
        var mean = new[] { reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle() };
        var std = new[] { reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle() };
        return new ImagePreprocessing(size, resize, interpolation, mean, std);
    }

    /// <summary>Magic, format version, byte length, then a safetensors state dict.</summary>
    internal static void WriteWeights(BinaryWriter writer, Backbone backbone)
    {
        using var buffer = new MemoryStream();
        Checkpoint.SaveSafetensors(backbone, buffer);
        writer.Write(WeightsMagic);
        writer.Write(1);
        writer.Write(buffer.Length);
        buffer.Position = 0;
        buffer.CopyTo(writer.BaseStream);
    }

    internal static void ReadWeights(BinaryReader reader, Backbone backbone)
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
