namespace MLNet.CSP.Pipelines.Detection;

/// <summary>The saved form of a <see cref="CspObjectDetectionTransformer"/> (docs/model-format.md).</summary>
internal static class DetectorPersistence
{
    public const string LoaderSignature = "CspObjectDetector";

    public static readonly ModelVersion Version = new("CSPDETCT", 0x00010002, LoaderSignature, ReadBack: 0x00010001);

    public static void Save(ModelSaveContext ctx, CspObjectDetectionTransformer transformer)
    {
        var s = transformer.Settings;
        var detector = transformer.Detector;
        MLNetInternals.Save(ctx, Version, writer =>
        {
            foreach (var name in new[] { s.ImageColumnName, s.LabelColumnName, s.BoundingBoxColumnName, s.PredictedLabelColumnName, s.ScoreColumnName, s.PredictedBoundingBoxColumnName })
                writer.Write(name);
            writer.Write(detector.Architecture);
            writer.Write((int)detector.Neck);
            writer.Write(s.Classes);
            writer.Write(s.ClassNames?.Length ?? -1);
            foreach (var name in s.ClassNames ?? []) writer.Write(name);
            NetworkPersistence.WritePreprocessing(writer, transformer.Normalisation);
            foreach (var (w, h) in detector.Anchors.Sizes)
            {
                writer.Write(w);
                writer.Write(h);
            }
            writer.Write(s.ScoreThreshold);
            writer.Write(s.IouThreshold);
            writer.Write(s.MaxDetections);
            writer.Write(s.BatchSize);
            NetworkPersistence.WriteDevice(writer, s.Device, s.FallbackToCpu);
            NetworkPersistence.WriteEngine(writer, s.Engine);
        }, (NetworkPersistence.WeightsStream, writer => NetworkPersistence.WriteWeights(writer, stream => SaveWeights(detector, stream))));
    }

    public static CspObjectDetectionTransformer Load(IHostEnvironment env, ModelLoadContext ctx) =>
        MLNetInternals.Load(ctx, Version, (reader, openStream, written) =>
        {
            var columns = Enumerable.Range(0, 6).Select(_ => reader.ReadString()).ToArray();
            string architecture = reader.ReadString();
            var neck = (NeckKind)reader.ReadInt32();
            int classes = reader.ReadInt32();
            int nameCount = reader.ReadInt32();
            string[]? names = nameCount < 0 ? null : Enumerable.Range(0, nameCount).Select(_ => reader.ReadString()).ToArray();
            var normalisation = NetworkPersistence.ReadPreprocessing(reader);
            var anchors = new AnchorBoxes(Enumerable.Range(0, 9).Select(_ => (reader.ReadSingle(), reader.ReadSingle())).ToArray());
            float score = reader.ReadSingle(), iou = reader.ReadSingle();
            int maxDetections = reader.ReadInt32(), batchSize = reader.ReadInt32();
            var (device, fallback) = NetworkPersistence.ReadDevice(reader);
            var engine = NetworkPersistence.ReadEngine(reader, written);
            var settings = new DetectorSettings(columns[0], columns[1], columns[2], columns[3], columns[4], columns[5], classes, names,
                score, iou, maxDetections, batchSize, device, fallback, engine);
            var detector = new CspDetector(architecture, classes, neck, anchors, normalisation.ImageSize);
            try
            {
                NetworkPersistence.ReadWeights(openStream(NetworkPersistence.WeightsStream), (stateDict, source) => LoadWeights(detector, stateDict, source));
                var resolved = TorchDevices.Resolve(env, settings.Device, settings.FallbackToCpu);
                var running = Engines.InferenceEngines.ForLoadedModel(env, settings.Engine, resolved, LoaderSignature);
                return new CspObjectDetectionTransformer(settings, detector, normalisation, resolved, null, running);
            }
            catch
            {
                detector.Dispose();
                throw;
            }
        });

    /// <summary>The detector's state dict as safetensors.</summary>
    internal static void SaveWeights(CspDetector detector, Stream stream) => Checkpoint.SaveSafetensors(detector, stream);

    /// <summary>Copies saved weights into the detector after checking every key and shape.</summary>
    internal static void LoadWeights(CspDetector detector, IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        try
        {
            Checkpoint.Load(detector, stateDict, source);
        }
        catch (CheckpointMismatchException e)
        {
            throw new InvalidDataException($"{source} does not fit a {detector.Architecture} {detector.Neck} detector with {detector.NumClasses} classes: {e.Message}", e);
        }
    }
}
