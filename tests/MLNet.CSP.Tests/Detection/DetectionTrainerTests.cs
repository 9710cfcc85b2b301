using MLNet.CSP.Pipelines.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Detection;
using MLNet.CSP.Export.Onnx;
using MLNet.CSP.Imaging;
using MLNet.CSP.Pipelines.Detection;
using MLNet.CSP.Tests.Pipelines;

namespace MLNet.CSP.Tests.Detection;

/// <summary>
/// The ML.NET detector end to end: train on a generated set, evaluate with COCO metrics, save, reload in this process and
/// in a fresh one, identical predictions; bad rows and columns give errors that say where.
/// </summary>
[TestClass]
[TestCategory("Slow")]
public sealed class DetectionTrainerTests : TempDirectoryTest
{
    private static CspObjectDetectionTrainer.Options Options() => new()
    {
        ImageSize = 128, Epochs = 24, BatchSize = 8, LearningRate = 2e-3, TorchThreads = 2, ScoreThreshold = 0.01f,
        // TorchSharp scores here, so the ONNX exports below are checked against the network itself; the ONNX Runtime engine is
        // checked against it at the end.
        InferenceEngine = MLNet.CSP.Pipelines.InferenceEngine.TorchSharp,
    };

    private (MLContext Ml, IDataView Data, ITransformer Prepare) Load(List<DetectionRow> rows)
    {
        var ml = new MLContext(seed: 3);
        var data = ml.Data.LoadFromEnumerable(rows);
        var prepare = ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(SyntheticDetectionSet.Classes.Select(c => new { Label = c })))
            .Append(ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath"))
            .Fit(data);
        return (ml, data, prepare);
    }

    [TestMethod]
    public void TrainsEvaluatesSavesAndReloads()
    {
        var rows = SyntheticDetectionSet.Write(Folder, 32, seed: 1);
        var (ml, data, prepare) = Load(rows);
        var prepared = prepare.Transform(data);
        var epochs = new List<CspDetectionEpochMetrics>();
        var options = Options();
        options.MetricsCallback = epochs.Add;
        // 96 steps on 32 images show learning on the training images themselves; the recipe's mosaic, scale, translation and
        // HSV pay off over longer runs on held-out data (docs/benchmarks.md), so they are off here.
        (options.Mosaic, options.ScaleJitter, options.Translate, options.HueJitter, options.SaturationJitter, options.ValueJitter) = (0, 0, 0, 0, 0, 0);
        var trainer = ml.MulticlassClassification.Trainers.CspObjectDetection(options);
        var shape = trainer.GetOutputSchema(SchemaShapes.From(prepared.Schema));
        var predictedShape = shape.Single(c => c.Name == "PredictedBoundingBoxes");
        Assert.AreEqual(SchemaShape.Column.VectorKind.VariableVector, predictedShape.Kind);
        Assert.IsTrue(shape.Single(c => c.Name == "PredictedLabel").IsKey);

        using var model = trainer.Fit(prepared);
        Assert.AreEqual(24, epochs.Count);
        Assert.IsTrue(epochs[^1].Loss < epochs[0].Loss / 2, $"loss {epochs[0].Loss:0.000} -> {epochs[^1].Loss:0.000}");

        var scored = model.Transform(prepared);
        var labelType = (VectorDataViewType)scored.Schema["PredictedLabel"].Type;
        Assert.AreEqual(2UL, ((KeyDataViewType)labelType.ItemType).Count);
        VBuffer<ReadOnlyMemory<char>> names = default;
        scored.Schema["PredictedLabel"].GetKeyValues(ref names);
        CollectionAssert.AreEqual(SyntheticDetectionSet.Classes, names.DenseValues().Select(n => n.ToString()).ToArray());

        var labels = scored.GetColumn<VBuffer<uint>>("PredictedLabel").Select(v => v.DenseValues().ToArray()).ToList();
        var scores = scored.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToList();
        var boxes = scored.GetColumn<VBuffer<float>>("PredictedBoundingBoxes").Select(v => v.DenseValues().ToArray()).ToList();
        for (int r = 0; r < rows.Count; r++)
        {
            Assert.AreEqual(labels[r].Length, scores[r].Length);
            Assert.AreEqual(4 * labels[r].Length, boxes[r].Length);
            Assert.IsTrue(scores[r].Zip(scores[r].Skip(1)).All(p => p.First >= p.Second), "Best first.");
            int width = r % 2 == 0 ? 160 : 120, height = r % 2 == 0 ? 120 : 160;
            for (int i = 0; i < labels[r].Length; i++)
            {
                Assert.IsTrue(labels[r][i] is 1 or 2);
                Assert.IsTrue(boxes[r][4 * i] >= 0 && boxes[r][4 * i + 2] <= width && boxes[r][4 * i + 1] >= 0 && boxes[r][4 * i + 3] <= height, "Original pixels.");
            }
        }

        var metrics = ml.MulticlassClassification.EvaluateCspObjectDetection(scored);
        Assert.IsTrue(metrics.AveragePrecision50 > 0.8, metrics.ToString());

        // The same predictions after Model.Save/Load here and in a fresh process, and from a PredictionEngine.
        string path = Path.Combine(Folder, "detector.zip");
        ml.Model.Save(prepare.Append(model), data.Schema, path);
        var reloaded = ml.Model.Load(path, out _);
        var again = reloaded.Transform(data).GetColumn<VBuffer<float>>("PredictedBoundingBoxes").Select(v => v.DenseValues().ToArray()).ToList();
        for (int r = 0; r < rows.Count; r++) CollectionAssert.AreEqual(boxes[r], again[r], $"Row {r} after reload.");
        (reloaded as IDisposable)?.Dispose();

        string list = Path.Combine(Folder, "images.txt"), output = Path.Combine(Folder, "boxes.bin");
        File.WriteAllLines(list, rows.Select(r => r.ImagePath));
        string modelOnly = Path.Combine(Folder, "model-only.zip");
        ml.Model.Save(model, prepared.Schema, modelOnly);
        FeaturizerTests.RunProbe(modelOnly, list, "PredictedBoundingBoxes", output);
        using (var reader = new BinaryReader(File.OpenRead(output)))
        {
            var fresh = Enumerable.Range(0, (int)(reader.BaseStream.Length / 4)).Select(_ => reader.ReadSingle()).ToArray();
            CollectionAssert.AreEqual(boxes.SelectMany(b => b).ToArray(), fresh, "A fresh process loads the saved detector and finds the same boxes.");
        }

        var engine = ml.Model.CreatePredictionEngine<DetectionRow, DetectionPrediction>(prepare.Append(model));
        var single = engine.Predict(rows[3]);
        // One image per forward pass instead of a batch: the same boxes up to float rounding.
        Assert.AreEqual(boxes[3].Length, single.PredictedBoundingBoxes.Length);
        for (int i = 0; i < boxes[3].Length; i++) Assert.AreEqual(boxes[3][i], single.PredictedBoundingBoxes[i], 1e-3);
        CollectionAssert.AreEqual(labels[3], single.PredictedLabel);

        // ONNX: the trained detector with its normalisation in the graph, fed letterboxed 0..255 pixels, then the library's NMS,
        // finds the boxes the transformer finds.
        string onnx = Path.Combine(Folder, "detector.onnx");
        var info = model.ExportOnnx(onnx);
        CollectionAssert.AreEqual(new long[] { -1, 3, model.Detector.ImageSize, model.Detector.ImageSize }, info.InputShape.ToArray());
        CollectionAssert.AreEqual(SyntheticDetectionSet.Classes, info.Labels!.ToArray());
        CollectionAssert.AreEqual(new[] { "boxes", "scores" }, info.OutputNames.ToArray());
        var letterboxed = Assert.ThrowsExactly<InvalidOperationException>(() => info.CreateImagePipeline(ml, "Image"));
        StringAssert.Contains(letterboxed.Message, "Letterbox.Place");
        using var session = Export.OnnxRuntimeRunner.Open(File.ReadAllBytes(onnx));
        using var image = MLImage.CreateFromFile(rows[3].ImagePath);
        using var pixels = Letterbox.Place(image, model.Detector.ImageSize).unsqueeze(0) * 255f;
        var (onnxBoxes, onnxScores) = Export.OnnxRuntimeRunner.RunDetector(session, "image", pixels);
        var corners = onnxBoxes[0].data<float>().ToArray();
        var classScores = onnxScores[0].data<float>().ToArray();
        var candidates = new List<ScoredBox>();
        for (int i = 0; i < classScores.Length; i++)
        {
            if (classScores[i] < model.Settings.ScoreThreshold) continue;
            int box = i / model.Classes;
            candidates.Add(new ScoredBox(new BoundingBox(corners[4 * box], corners[4 * box + 1], corners[4 * box + 2], corners[4 * box + 3]), i % model.Classes, classScores[i]));
        }
        var viaOnnx = NonMaximumSuppression.Apply(candidates, model.Settings.IouThreshold, model.Settings.MaxDetections);
        using var normalised = Letterbox.Apply(image, model.Detector.ImageSize, model.Normalisation).unsqueeze(0);
        var viaTorch = model.Detect(normalised)[0];
        Assert.IsNotEmpty(viaTorch);

        // With IncludeNms the graph ends in ONNX NonMaxSuppression and the best detections: ONNX Runtime's output is the
        // transformer's detections themselves.
        string withNms = Path.Combine(Folder, "detector-nms.onnx");
        var nmsInfo = model.ExportOnnx(withNms, new OnnxExportOptions { IncludeNms = true, DynamicBatch = false });
        CollectionAssert.AreEqual(new[] { "boxes", "scores", "labels" }, nmsInfo.OutputNames.ToArray());
        using (var nmsSession = Export.OnnxRuntimeRunner.Open(File.ReadAllBytes(withNms)))
        {
            var (finalBoxes, finalScores, finalLabels) = Export.OnnxRuntimeRunner.RunDetectorWithNms(nmsSession, "image", pixels);
            Assert.HasCount(viaTorch.Count, finalScores, "As many detections as the transformer finds.");
            for (int i = 0; i < viaTorch.Count; i++)
            {
                Assert.AreEqual(viaTorch[i].Label, (int)finalLabels[i], $"detection {i} label");
                Assert.AreEqual(viaTorch[i].Score, finalScores[i], 1e-4, $"detection {i} score");
                float[] expectedBox = [viaTorch[i].Box.X0, viaTorch[i].Box.Y0, viaTorch[i].Box.X1, viaTorch[i].Box.Y1];
                for (int c = 0; c < 4; c++) Assert.AreEqual(expectedBox[c], finalBoxes[4 * i + c], 1e-3, $"detection {i} corner {c}");
            }
        }
        var notBatched = Assert.ThrowsExactly<ArgumentException>(() => model.ExportOnnx(new MemoryStream(), new OnnxExportOptions { IncludeNms = true }));
        StringAssert.Contains(notBatched.Message, "DynamicBatch");
        var noThresholds = Assert.ThrowsExactly<ArgumentException>(() => model.Detector.ExportOnnx(new MemoryStream(), new OnnxExportOptions { IncludeNms = true, DynamicBatch = false }));
        StringAssert.Contains(noThresholds.Message, "CspObjectDetectionTransformer");
        Assert.HasCount(viaTorch.Count, viaOnnx);
        for (int i = 0; i < viaTorch.Count; i++)
        {
            Assert.AreEqual(viaTorch[i].Label, viaOnnx[i].Label);
            Assert.AreEqual(viaTorch[i].Score, viaOnnx[i].Score, 1e-4);
            Assert.AreEqual(viaTorch[i].Box.X0, viaOnnx[i].Box.X0, 1e-2);
            Assert.AreEqual(viaTorch[i].Box.Y0, viaOnnx[i].Box.Y0, 1e-2);
            Assert.AreEqual(viaTorch[i].Box.X1, viaOnnx[i].Box.X1, 1e-2);
            Assert.AreEqual(viaTorch[i].Box.Y1, viaOnnx[i].Box.Y1, 1e-2);
        }

        // The ONNX Runtime engine (the same detector's export with suppression inside) appends the same detections to every row.
        var ortModel = new CspObjectDetectionTransformer(model.Settings with { Engine = MLNet.CSP.Pipelines.InferenceEngine.OnnxRuntime },
            model.Detector, model.Normalisation, model.DeviceUsed, threads: 2);
        Assert.AreEqual(MLNet.CSP.Pipelines.InferenceEngine.OnnxRuntime, ortModel.Engine);
        var ortScored = ortModel.Transform(prepared);
        var ortLabels = ortScored.GetColumn<VBuffer<uint>>("PredictedLabel").Select(v => v.DenseValues().ToArray()).ToList();
        var ortScores = ortScored.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToList();
        var ortBoxes = ortScored.GetColumn<VBuffer<float>>("PredictedBoundingBoxes").Select(v => v.DenseValues().ToArray()).ToList();
        for (int r = 0; r < rows.Count; r++)
        {
            CollectionAssert.AreEqual(labels[r], ortLabels[r], $"ONNX Runtime engine, row {r} labels");
            for (int i = 0; i < scores[r].Length; i++) Assert.AreEqual(scores[r][i], ortScores[r][i], 1e-4, $"ONNX Runtime engine, row {r} score {i}");
            for (int i = 0; i < boxes[r].Length; i++) Assert.AreEqual(boxes[r][i], ortBoxes[r][i], 1e-3, $"ONNX Runtime engine, row {r} corner {i}");
        }
    }

    [TestMethod]
    public void BadRowsAndColumnsSayWhere()
    {
        var rows = SyntheticDetectionSet.Write(Folder, 4, seed: 2, allowEmpty: false);
        var options = Options();
        options.Epochs = 1;

        var mismatch = rows.Select(r => new DetectionRow { ImagePath = r.ImagePath, Label = r.Label, BoundingBoxes = r.BoundingBoxes }).ToList();
        mismatch[2].BoundingBoxes = mismatch[2].BoundingBoxes[..^1];
        var (ml, data, prepare) = Load(mismatch);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ml.MulticlassClassification.Trainers.CspObjectDetection(options).Fit(prepare.Transform(data)));
        StringAssert.Contains(e.Message, "Row 2");
        StringAssert.Contains(e.Message, "'BoundingBoxes'");

        var inverted = rows.Select(r => new DetectionRow { ImagePath = r.ImagePath, Label = r.Label, BoundingBoxes = [.. r.BoundingBoxes] }).ToList();
        (inverted[1].BoundingBoxes[0], inverted[1].BoundingBoxes[2]) = (inverted[1].BoundingBoxes[2], inverted[1].BoundingBoxes[0]);
        (ml, data, prepare) = Load(inverted);
        e = Assert.ThrowsExactly<InvalidDataException>(() => ml.MulticlassClassification.Trainers.CspObjectDetection(options).Fit(prepare.Transform(data)));
        StringAssert.Contains(e.Message, "Row 1: box 0");
        StringAssert.Contains(e.Message, "inverted");

        var outside = rows.Select(r => new DetectionRow { ImagePath = r.ImagePath, Label = r.Label, BoundingBoxes = [.. r.BoundingBoxes] }).ToList();
        outside[0].BoundingBoxes[2] = 500;
        (ml, data, prepare) = Load(outside);
        e = Assert.ThrowsExactly<InvalidDataException>(() => ml.MulticlassClassification.Trainers.CspObjectDetection(options).Fit(prepare.Transform(data)));
        StringAssert.Contains(e.Message, "outside the 160x120 image");

        var empty = rows.Select(r => new DetectionRow { ImagePath = r.ImagePath }).ToList();
        (ml, data, prepare) = Load(empty);
        var none = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.CspObjectDetection(options).Fit(prepare.Transform(data)));
        StringAssert.Contains(none.Message, "No training image has a box");

        var scalar = new MLContext(1).Data.LoadFromEnumerable(rows.Select(r => new { ImagePath = r.ImagePath, Label = 1u, BoundingBoxes = r.BoundingBoxes }));
        var images = new MLContext(1).Transforms.LoadImages("Image", null, "ImagePath").Fit(scalar).Transform(scalar);
        var schema = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext(1).MulticlassClassification.Trainers.CspObjectDetection(options).Fit(images));
        StringAssert.Contains(schema.Message, "Schema mismatch for label column 'Label': expected Vector<Key<UInt32>>");

        var badOptions = Options();
        badOptions.ImageSize = 100;
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext(1).MulticlassClassification.Trainers.CspObjectDetection(badOptions));
    }
}

/// <summary>A PredictionEngine's output row.</summary>
public sealed class DetectionPrediction
{
    public uint[] PredictedLabel { get; set; } = [];

    public float[] Score { get; set; } = [];

    public float[] PredictedBoundingBoxes { get; set; } = [];
}
