namespace MLNet.CSP.Pipelines.Featurizer;

/// <summary>
/// The saved form of a <see cref="CspFeaturizerTransformer"/> inside an ML.NET model zip (docs/model-format.md):
/// a versioned field block, and the backbone weights as a safetensors stream.
/// </summary>
internal static class FeaturizerPersistence
{
    public const string LoaderSignature = "CspFeaturizerTransform";

    public static readonly ModelVersion Version = new("CSPFEATR", 0x00010002, LoaderSignature, ReadBack: 0x00010001);

    public static void Save(ModelSaveContext ctx, CspFeaturizerTransformer transformer)
    {
        var settings = transformer.Settings;
        var network = transformer.Network;
        MLNetInternals.Save(ctx, Version, writer =>
        {
            writer.Write(settings.InputColumnName);
            writer.Write(settings.OutputColumnName);
            writer.Write(network.Backbone.Architecture);
            writer.Write(network.NumFeatures);
            NetworkPersistence.WritePreprocessing(writer, network.Preprocessing);
            writer.Write((int)network.Pooling);
            writer.Write(settings.BatchSize);
            NetworkPersistence.WriteDevice(writer, settings.Device, settings.FallbackToCpu);
            NetworkPersistence.WriteEngine(writer, settings.Engine);
        }, (NetworkPersistence.WeightsStream, writer => NetworkPersistence.WriteWeights(writer, network.Backbone)));
    }

    public static CspFeaturizerTransformer Load(IHostEnvironment env, ModelLoadContext ctx) =>
        MLNetInternals.Load(ctx, Version, (reader, openStream, written) =>
        {
            string input = reader.ReadString();
            string output = reader.ReadString();
            string architecture = reader.ReadString();
            int numFeatures = reader.ReadInt32();
            var preprocessing = NetworkPersistence.ReadPreprocessing(reader);
            var pooling = (GlobalPooling)reader.ReadInt32();
            int batchSize = reader.ReadInt32();
            var (device, fallback) = NetworkPersistence.ReadDevice(reader);
            var engine = NetworkPersistence.ReadEngine(reader, written);
            var settings = new FeaturizerSettings(input, output, batchSize, device, fallback, engine);

            var backbone = Backbones.Create(architecture, numClasses: 0);
            try
            {
                NetworkPersistence.ReadWeights(openStream(NetworkPersistence.WeightsStream), backbone);
                if (backbone.NumFeatures != numFeatures)
                    throw new InvalidDataException($"The saved featurizer has {numFeatures} features but '{architecture}' has {backbone.NumFeatures}.");
                var resolved = TorchDevices.Resolve(env, settings.Device, settings.FallbackToCpu);
                return new CspFeaturizerTransformer(settings, new InferenceNetwork(backbone, preprocessing, pooling, resolved,
                    engine: Engines.InferenceEngines.ForLoadedModel(env, settings.Engine, resolved, LoaderSignature)));
            }
            catch
            {
                backbone.Dispose();
                throw;
            }
        });
}
