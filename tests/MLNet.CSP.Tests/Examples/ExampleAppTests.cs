using MLNet.CSP.Tests.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests.Examples;

/// <summary>The example app's commands end to end on a tiny slice of real images, in a separate process.</summary>
[TestClass]
[TestCategory("Slow")]
public sealed class ExampleAppTests : TempDirectoryTest
{
    /// <summary>Three classes, <paramref name="trainPerClass"/> training and 4 test images each, in the folder-per-class layout users have.</summary>
    private (string Data, string Test) ImageFolders(int trainPerClass = 12)
    {
        foreach (var split in new[] { ("train", trainPerClass), ("test", 4) })
            foreach (var group in FashionMnist.Load(split.Item1).GroupBy(r => r.Label).Take(3))
            {
                string folder = Directory.CreateDirectory(Path.Combine(Folder, split.Item1, group.Key)).FullName;
                foreach (var row in group.Take(split.Item2)) File.Copy(row.ImagePath, Path.Combine(folder, Path.GetFileName(row.ImagePath)));
            }
        return (Path.Combine(Folder, "train"), Path.Combine(Folder, "test"));
    }

    [TestMethod]
    public void AutoMLSearchesWithinItsBudgetAndSavesAModelThatPredicts()
    {
        var (data, test) = ImageFolders(trainPerClass: 20);
        string output = Path.Combine(Folder, "automl");
        string automl = Run("automl", "--data", data, "--test", test, "--budget", "20", "--out", output);
        var searched = System.Text.RegularExpressions.Regex.Match(automl, @"Searched (\d+) s \(budget 20 s\): (\d+) trials");
        Assert.IsTrue(searched.Success, automl); // keeping the budget on the wall clock: ExperimentTests.OnTheRealClockASearchReturnsWithinItsBudget
        StringAssert.Contains(automl, "Trials (latest 15)");
        StringAssert.Contains(automl, "Best: #");
        StringAssert.Contains(automl, "Test accuracy (micro)");
        StringAssert.Contains(automl, "Confusion matrix");
        var csv = File.ReadAllLines(Path.Combine(output, "automl", "trials.csv"));
        Assert.HasCount(int.Parse(searched.Groups[2].Value) + 1, csv);
        AssertPng(Path.Combine(output, "search-progress.png"), 720, 440);
        string predict = Run("predict", "--model", Path.Combine(output, "model.zip"), test);
        AssertPredictionsPrinted(predict, Path.Combine(output, "model.zip"), test);
    }

    /// <summary>
    /// The predict command's table names, for every test image, the class and probability the saved model gives that image when
    /// loaded here (top 1, as the command prints it).
    /// </summary>
    private static void AssertPredictionsPrinted(string printed, string modelPath, string folder)
    {
        var ml = new Microsoft.ML.MLContext();
        var model = ml.Model.Load(modelPath, out _);
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var data = ml.Data.LoadFromEnumerable(files.Select(f => new ImageRow { ImagePath = f, Label = "" }).ToList());
        var scored = model.Transform(ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(data).Transform(data));
        VBuffer<ReadOnlyMemory<char>> names = default;
        scored.Schema["PredictedLabel"].GetKeyValues(ref names);
        var classes = names.DenseValues().Select(n => n.ToString()).ToArray();
        var scores = scored.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToList();
        var lines = printed.Split('\n');
        for (int i = 0; i < files.Count; i++)
        {
            int top = Array.IndexOf(scores[i], scores[i].Max());
            string expected = $"{classes[top]} {scores[i][top]:P1}";
            Assert.IsTrue(lines.Any(l => l.Contains(Path.GetFileName(files[i]), StringComparison.Ordinal) && l.Contains(expected, StringComparison.Ordinal)),
                $"The row of {Path.GetFileName(files[i])} shows '{expected}':\n{printed}");
        }
        (model as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void TrainPredictFeaturizeAndZooRunAndWriteValidPlots()
    {
        var (data, test) = ImageFolders();
        string output = Path.Combine(Folder, "out");

        // At the images' own size (28) the exported ONNX graph sees exactly the pixels the TorchSharp model sees.
        // A memory budget of 0 MB: the folder does not fit, so the images stream from their files every epoch.
        string train = Run("train", "--data", data, "--test", test, "--epochs", "2", "--batch-size", "8", "--image-size", "28", "--cache-budget-mb", "0", "--out", output);
        StringAssert.Contains(train, "the budget is 0.0 MB: streaming.");
        StringAssert.Contains(train, "Streaming 36 training images");
        StringAssert.Contains(train, "Test accuracy");
        StringAssert.Contains(train, "Confusion matrix");
        Assert.IsTrue(File.Exists(Path.Combine(output, "model.zip")));
        AssertPng(Path.Combine(output, "training-loss.png"), 640, 420);
        AssertPng(Path.Combine(output, "training-accuracy.png"), 640, 420);
        AssertPng(Path.Combine(output, "confusion-matrix.png"), 760, 680);

        string predict = Run("predict", "--model", Path.Combine(output, "model.zip"), "--top", "2", test);
        AssertPredictionsPrinted(predict, Path.Combine(output, "model.zip"), test);

        string onnx = Path.Combine(output, "model.onnx");
        string export = Run("export", "--model", Path.Combine(output, "model.zip"), "--out", onnx, "--test", test);
        StringAssert.Contains(export, "output 'probabilities' [-1, 3]");
        StringAssert.Contains(export, "Same top-1 on 12 of 12 images");
        Assert.IsGreaterThan(100_000L, new FileInfo(onnx).Length);

        string featurize = Run("featurize", "--data", data, "--test", test, "--out", output);
        StringAssert.Contains(featurize, "Test accuracy");
        Assert.IsTrue(File.Exists(Path.Combine(output, "featurizer-model.zip")));

        string zoo = Run("zoo", "--no-forward");
        StringAssert.Contains(zoo, "cspresnext50");
        StringAssert.Contains(zoo, "3.074");
    }

    [TestMethod]
    public void DetectGeneratesTrainsEvaluatesAndDrawsOffline()
    {
        string output = Path.Combine(Folder, "detect");
        string detect = Run("detect", "--train", "16", "--test", "8", "--image-size", "128", "--epochs", "2", "--out", output);
        StringAssert.Contains(detect, "Average Precision  (AP) @[ IoU=0.50:0.95");
        StringAssert.Contains(detect, "mAP50");
        Assert.HasCount(16, Directory.GetFiles(Path.Combine(output, "train"), "*.png"));
        Assert.IsTrue(File.Exists(Path.Combine(output, "detector.zip")));
        var previews = Directory.GetFiles(Path.Combine(output, "previews"), "*.png");
        Assert.HasCount(8, previews);
        AssertPng(previews[0], 128, 128);
    }

    [TestMethod]
    public void DetectExportsItsScenesAsAYoloDatasetThatTheLoaderReads()
    {
        string yolo = Path.Combine(Folder, "yolo");
        string output = Run("detect", "--train", "6", "--test", "4", "--image-size", "128", "--export-yolo", yolo, "--out", Path.Combine(Folder, "detect"));
        StringAssert.Contains(output, "data.yaml");
        Assert.IsFalse(File.Exists(Path.Combine(Folder, "detect", "detector.zip")), "Exporting stops before training.");
        var ml = new MLContext(seed: 1);
        foreach (var (split, count) in new[] { ("train", 6), ("val", 4) })
        {
            var view = ml.Data.LoadFromYoloDataset(yolo, split);
            VBuffer<ReadOnlyMemory<char>> names = default;
            view.Schema["Label"].GetKeyValues(ref names);
            CollectionAssert.AreEqual(new[] { "Trouser", "Bag", "Sneaker", "Dress", "Ankle_boot" }, names.DenseValues().Select(n => n.ToString()).ToArray());
            var boxes = view.GetColumn<VBuffer<float>>("BoundingBoxes").Select(v => v.DenseValues().ToArray()).ToArray();
            var labels = view.GetColumn<VBuffer<uint>>("Label").Select(v => v.DenseValues().ToArray()).ToArray();
            Assert.HasCount(count, boxes, split);
            Assert.IsTrue(labels.Sum(l => l.Length) >= count, $"{split}: at least one garment a scene");
            for (int r = 0; r < count; r++)
            {
                Assert.AreEqual(4 * labels[r].Length, boxes[r].Length, $"{split} row {r}");
                for (int i = 0; i < boxes[r].Length; i += 4)
                {
                    float w = boxes[r][i + 2] - boxes[r][i], h = boxes[r][i + 3] - boxes[r][i + 1];
                    Assert.IsTrue(boxes[r][i] >= 0 && boxes[r][i + 1] >= 0 && boxes[r][i + 2] <= 128 && boxes[r][i + 3] <= 128, $"{split} row {r}: inside the canvas");
                    Assert.IsTrue(w is > 3 and <= 98 && h is > 3 and <= 98, $"{split} row {r}: a garment's tight box ({w} x {h} px; garments are pasted at 28-98 px)");
                }
            }
        }
    }

    private static void AssertPng(string path, int width, int height)
    {
        Assert.IsTrue(File.Exists(path), path);
        var bytes = File.ReadAllBytes(path);
        CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4], $"{path} is a PNG.");
        using var image = MLImage.CreateFromFile(path);
        Assert.AreEqual(width, image.Width, path);
        Assert.AreEqual(height, image.Height, path);
        var pixels = image.Pixels.ToArray();
        Assert.IsGreaterThan(50, pixels.Distinct().Count(), $"{path} is not blank.");
    }

    private static string Run(params string[] args) => ChildProcess.Run("ExamplesPath", args);
}
