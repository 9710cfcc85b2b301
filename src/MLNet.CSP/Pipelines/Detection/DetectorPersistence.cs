using TorchSharp.PyBridge;

namespace MLNet.CSP.Pipelines.Detection;

/// <summary>The saved form of a <see cref="CspObjectDetectionTransformer"/> (docs/model-format.md).</summary>
internal static class DetectorPersistence
{
    public const string LoaderSignature = "CspObjectDetector";

    public static readonly ModelVersion Version = new("CSPDETCT", 0x00010001, LoaderSignature);

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
        }, (NetworkPersistence.WeightsStream, writer => NetworkPersistence.WriteWeights(writer, stream => SaveWeights(detector, stream))));
    }

    public static CspObjectDetectionTransformer Load(IHostEnvironment env, ModelLoadContext ctx) =>
        MLNetInternals.Load(ctx, Version, (reader, openStream) =>
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
            var settings = new DetectorSettings(columns[0], columns[1], columns[2], columns[3], columns[4], columns[5], classes, names,
                score, iou, maxDetections, batchSize, device, fallback);
            var detector = new CspDetector(architecture, classes, neck, anchors, normalisation.ImageSize);
            try
            {
                NetworkPersistence.ReadWeights(openStream(NetworkPersistence.WeightsStream), (stateDict, source) => LoadWeights(detector, stateDict, source));
                var resolved = TorchDevices.Resolve(env, settings.Device, settings.FallbackToCpu);
                return new CspObjectDetectionTransformer(settings, detector, normalisation, resolved, null);
            }
            catch
            {
                detector.Dispose();
                throw;
            }
        });

    /// <summary>The detector's state dict as safetensors.</summary>
    internal static void SaveWeights(CspDetector detector, Stream stream)
    {
        var stateDict = detector.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous());
        try
        {
            Safetensors.SaveStateDict(stream, stateDict, leaveOpen: true);
        }
        finally
        {
            foreach (var t in stateDict.Values) t.Dispose();
        }
    }

    /// <summary>Copies a state dict into the detector after checking that keys and shapes are exactly the detector's.</summary>
    internal static void LoadWeights(CspDetector detector, IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        var target = detector.state_dict();
        var missing = target.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var mismatched = target.Where(kv => stateDict.TryGetValue(kv.Key, out var v) && !v.shape.SequenceEqual(kv.Value.shape)).Select(kv => kv.Key).ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
            throw new InvalidDataException($"{source} does not fit a {detector.Architecture} {detector.Neck} detector with {detector.NumClasses} classes: " +
                $"{missing.Count} missing ({string.Join(", ", missing.Take(3))}), {unexpected.Count} unexpected ({string.Join(", ", unexpected.Take(3))}), " +
                $"{mismatched.Count} of another shape ({string.Join(", ", mismatched.Take(3))}).");
        using var noGrad = torch.no_grad();
        foreach (var (key, tensor) in target) tensor.copy_(stateDict[key]);
    }
}
