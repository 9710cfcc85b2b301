namespace MLNet.CSP.Pipelines.Classification;

/// <summary>The saved form of a <see cref="CspImageClassificationTransformer"/> (docs/model-format.md).</summary>
internal static class ClassifierPersistence
{
    public const string LoaderSignature = "CspImageClassifier";

    public static readonly ModelVersion Version = new("CSPCLSFR", 0x00010002, LoaderSignature, ReadBack: 0x00010001);

    public static void Save(ModelSaveContext ctx, CspImageClassificationTransformer transformer)
    {
        var s = transformer.Settings;
        MLNetInternals.Save(ctx, Version, writer =>
        {
            writer.Write(s.ImageColumnName);
            writer.Write(s.LabelColumnName);
            writer.Write(s.ScoreColumnName);
            writer.Write(s.PredictedLabelColumnName);
            writer.Write(transformer.Architecture);
            writer.Write(s.Classes);
            writer.Write(s.ClassNames?.Length ?? -1);
            foreach (var name in s.ClassNames ?? []) writer.Write(name);
            NetworkPersistence.WritePreprocessing(writer, transformer.Preprocessing);
            writer.Write(s.BatchSize);
            NetworkPersistence.WriteDevice(writer, s.Device, s.FallbackToCpu);
            NetworkPersistence.WriteEngine(writer, s.Engine);
        }, (NetworkPersistence.WeightsStream, writer => NetworkPersistence.WriteWeights(writer, transformer.Model)));
    }

    public static CspImageClassificationTransformer Load(IHostEnvironment env, ModelLoadContext ctx) =>
        MLNetInternals.Load(ctx, Version, (reader, openStream, written) =>
        {
            string image = reader.ReadString(), label = reader.ReadString(), score = reader.ReadString(), predicted = reader.ReadString();
            string architecture = reader.ReadString();
            int classes = reader.ReadInt32();
            int nameCount = reader.ReadInt32();
            string[]? names = nameCount < 0 ? null : Enumerable.Range(0, nameCount).Select(_ => reader.ReadString()).ToArray();
            var preprocessing = NetworkPersistence.ReadPreprocessing(reader);
            int batchSize = reader.ReadInt32();
            var (device, fallback) = NetworkPersistence.ReadDevice(reader);
            var engine = NetworkPersistence.ReadEngine(reader, written);
            var settings = new ClassifierSettings(image, label, score, predicted, classes, names, batchSize, device, fallback, engine);
            var model = Backbones.Create(architecture, classes);
            try
            {
                NetworkPersistence.ReadWeights(openStream(NetworkPersistence.WeightsStream), model);
                var resolved = TorchDevices.Resolve(env, settings.Device, settings.FallbackToCpu);
                return new CspImageClassificationTransformer(env, settings, new InferenceNetwork(model, preprocessing, GlobalPooling.Average, resolved,
                    engine: Engines.InferenceEngines.ForLoadedModel(env, settings.Engine, resolved, LoaderSignature)));
            }
            catch
            {
                model.Dispose();
                throw;
            }
        });
}
