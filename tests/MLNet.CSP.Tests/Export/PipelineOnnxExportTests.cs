using MLNet.CSP.Export.Onnx;
using MLNet.CSP.Models;
using MLNet.CSP.Pipelines.Featurizer;
using MLNet.CSP.Tests.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests.Export;

/// <summary>
/// Trained ML.NET models exported with their preprocessing and run by ML.NET's own ONNX path
/// (<c>LoadImages -> ResizeImages -> ExtractPixels -> ApplyOnnxModel</c>): the same predictions as the TorchSharp model.
/// </summary>
[TestClass]
public sealed class PipelineOnnxExportTests : TempDirectoryTest
{
    [TestMethod]
    public void TrainedClassifierGivesTheSamePredictionsThroughApplyOnnxModel()
    {
        var ml = new MLContext(seed: 3);
        var trainRows = FashionMnist.Load("train").GroupBy(r => r.Label).SelectMany(g => g.Take(60)).ToList();
        var train = LoadImages(ml, trainRows);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        var options = TrainerTests.Small(epochs: 2);
        options.ImageSize = 28; // the images' own size: neither path resamples, so scores must agree to float rounding
        using var model = ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(keys.Transform(train));

        string path = Path.Combine(Folder, "classifier.onnx");
        var info = model.ExportOnnx(path);
        Assert.AreEqual("image", info.InputName);
        Assert.AreEqual("probabilities", info.OutputName);
        CollectionAssert.AreEqual(new long[] { -1, 3, 28, 28 }, info.InputShape.ToArray());
        CollectionAssert.AreEqual(model.ClassNames!.ToList(), info.Labels!.ToList());

        var test = LoadImages(ml, FashionMnist.Load("test"));
        var ours = Rows(model.Transform(test), "Score");
        var onnx = info.CreateImagePipeline(ml, "Image")
            .Append(ml.Transforms.ApplyOnnxModel([info.OutputName], [info.InputName], path))
            .Fit(test).Transform(test);
        var theirs = Rows(onnx, info.OutputName);

        Assert.HasCount(ours.Length, theirs);
        double worst = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            worst = Math.Max(worst, ours[i].Zip(theirs[i], (a, b) => Math.Abs(a - b)).Max());
            Assert.AreEqual(ArgMax(ours[i]), ArgMax(theirs[i]), $"Top-1 of test row {i}.");
        }
        Console.WriteLine($"{ours.Length} test images: same top-1 everywhere, largest probability difference {worst:E2}");
        Assert.IsLessThan(1e-4, worst);
    }

    [TestMethod]
    public void FeaturizerGraphCropsAndNormalisesAsTheLibraryDoes()
    {
        var ml = new MLContext(seed: 4);
        var random = new Random(4);
        var rows = Enumerable.Range(0, 6).Select(_ => new PixelRow { Image = RandomImage(random, 32, 32) }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var featurizer = ml.Transforms.CspFeaturize(new CspFeaturizerOptions
        {
            InputColumnName = "Image",
            Architecture = "cs3darknet_s",
            ImageSize = 28,
            CropFraction = 0.875, // resize 32, then the graph crops the center 28x28
            Mean = [0.2f, 0.5f, 0.7f],
            Std = [0.3f, 0.2f, 0.25f],
            Pooling = GlobalPooling.Max,
        }).Fit(data);

        string path = Path.Combine(Folder, "featurizer.onnx");
        var info = featurizer.ExportOnnx(path);
        CollectionAssert.AreEqual(new long[] { -1, 3, 32, 32 }, info.InputShape.ToArray());
        Assert.AreEqual("features", info.OutputName);
        var onnx = info.CreateImagePipeline(ml, "Image").Append(ml.Transforms.ApplyOnnxModel([info.OutputName], [info.InputName], path)).Fit(data).Transform(data);

        var ours = Rows(featurizer.Transform(data), "Features");
        var theirs = Rows(onnx, "features");
        for (int i = 0; i < ours.Length; i++)
        {
            double error = MLNet.CSP.Tests.Models.Compare.RelativeL2(theirs[i].Select(v => (double)v).ToArray(), ours[i].Select(v => (double)v).ToArray());
            Assert.IsLessThan(1e-4, error, $"Features of row {i}.");
        }
        Assert.ThrowsExactly<ArgumentException>(() => featurizer.ExportOnnx(new MemoryStream(), new OnnxExportOptions { Output = OnnxOutput.Logits }));
        Assert.ThrowsExactly<ArgumentException>(() => featurizer.ExportOnnx(new MemoryStream(), new OnnxExportOptions { DynamicSize = true }));
    }

    private static IDataView LoadImages(MLContext ml, IEnumerable<ImageRow> rows)
    {
        var data = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(data).Transform(data);
    }

    private static float[][] Rows(IDataView data, string column) =>
        data.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    private static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());

    private static MLImage RandomImage(Random random, int width, int height)
    {
        var pixels = new byte[width * height * 4];
        random.NextBytes(pixels);
        for (int i = 3; i < pixels.Length; i += 4) pixels[i] = 255;
        return MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, pixels);
    }

    private sealed class PixelRow
    {
        [ImageType(32, 32)]
        public MLImage Image { get; set; } = null!;
    }
}
