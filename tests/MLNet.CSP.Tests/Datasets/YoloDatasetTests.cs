using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines.Datasets;
using MLNet.CSP.Pipelines.Detection;
using MLNet.CSP.Tests.Detection;

namespace MLNet.CSP.Tests.Datasets;

/// <summary>
/// <c>LoadFromYoloDataset</c> on sets written here in the Ultralytics layout from boxes known in pixels: the boxes come back in
/// pixels, the classes by name, negatives kept, and every bad line fails naming its file and line.
/// </summary>
[TestClass]
public sealed class YoloDatasetTests : TempDirectoryTest
{
    /// <summary>Writes rows' images under images/SPLIT and their labels under labels/SPLIT (none for images without boxes).</summary>
    private List<DetectionRow> WriteSplit(string split, int count, int seed)
    {
        string images = Directory.CreateDirectory(Path.Combine(Folder, "images", split)).FullName;
        string labels = Directory.CreateDirectory(Path.Combine(Folder, "labels", split)).FullName;
        var rows = SyntheticDetectionSet.Write(images, count, seed);
        foreach (var row in rows)
        {
            if (row.Label.Length == 0) continue; // a negative without a label file
            using var codec = SkiaSharp.SKCodec.Create(row.ImagePath);
            double w = codec.Info.Width, h = codec.Info.Height;
            var lines = row.Label.Select((name, i) =>
            {
                var b = row.BoundingBoxes.AsSpan(4 * i, 4);
                return string.Join(' ', Array.IndexOf(SyntheticDetectionSet.Classes, name).ToString(CultureInfo.InvariantCulture),
                    F((b[0] + b[2]) / 2 / w), F((b[1] + b[3]) / 2 / h), F((b[2] - b[0]) / w), F((b[3] - b[1]) / h));
            });
            File.WriteAllLines(Path.Combine(labels, Path.GetFileNameWithoutExtension(row.ImagePath) + ".txt"), lines);
        }
        return rows;
    }

    private static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);

    private string Yaml(string text)
    {
        string path = Path.Combine(Folder, "data.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    private static void AssertSameRows(IReadOnlyList<DetectionRow> expected, IDataView view)
    {
        var paths = view.GetColumn<string>("ImagePath").ToArray();
        var labels = view.GetColumn<VBuffer<uint>>("Label").Select(v => v.DenseValues().ToArray()).ToArray();
        var boxes = view.GetColumn<VBuffer<float>>("BoundingBoxes").Select(v => v.DenseValues().ToArray()).ToArray();
        VBuffer<ReadOnlyMemory<char>> names = default;
        view.Schema["Label"].GetKeyValues(ref names);
        var classNames = names.DenseValues().Select(n => n.ToString()).ToArray();
        var sorted = expected.OrderBy(r => Path.GetFullPath(r.ImagePath), StringComparer.Ordinal).ToList();
        Assert.AreEqual(sorted.Count, paths.Length);
        for (int r = 0; r < sorted.Count; r++)
        {
            Assert.AreEqual(Path.GetFullPath(sorted[r].ImagePath), paths[r]);
            CollectionAssert.AreEqual(sorted[r].Label, labels[r].Select(k => classNames[k - 1]).ToArray(), $"row {r}: classes");
            Assert.AreEqual(sorted[r].BoundingBoxes.Length, boxes[r].Length, $"row {r}: box values");
            for (int i = 0; i < boxes[r].Length; i++)
                Assert.AreEqual(sorted[r].BoundingBoxes[i], boxes[r][i], 1e-3f, $"row {r}: box value {i}"); // 6 decimals of 160 px
        }
    }

    [TestMethod]
    [Timeout(180_000)]
    public void ASetInTheUltralyticsLayoutLoadsInPixelsAndTrainsADetector()
    {
        var train = WriteSplit("train", 12, seed: 1);
        var val = WriteSplit("val", 6, seed: 2);
        Assert.IsTrue(train.Any(r => r.Label.Length == 0), "the set has a negative");
        string yaml = Yaml("# written by the test\npath: .\ntrain: images/train\nval: images/val\nnames:\n  0: red\n  1: blue\n");
        var ml = new MLContext(seed: 1);

        var data = ml.Data.LoadFromYoloDataset(yaml);
        AssertSameRows(train, data);
        AssertSameRows(val, ml.Data.LoadFromYoloDataset(Folder, "val")); // the folder holding data.yaml works too
        var label = data.Schema["Label"].Type as VectorDataViewType;
        Assert.AreEqual(2UL, (label?.ItemType as KeyDataViewType)?.Count);
        Assert.IsInstanceOfType<ImageDataViewType>(data.Schema["Image"].Type);
        var dataset = DetectionDataset.ReadYolo(yaml);
        CollectionAssert.AreEqual(SyntheticDetectionSet.Classes, dataset.ClassNames.ToArray());
        Assert.AreEqual(train.Sum(r => r.Label.Length), dataset.BoxCount);

        // The columns are the trainer's: it fits without any mapping step.
        var epochs = new List<CspDetectionEpochMetrics>();
        using var model = ml.MulticlassClassification.Trainers.CspObjectDetection(new CspObjectDetectionTrainer.Options
        {
            ImageSize = 64, Epochs = 1, BatchSize = 4, MetricsCallback = epochs.Add,
        }).Fit(data);
        Assert.AreEqual(1, epochs.Count);
        CollectionAssert.AreEqual(SyntheticDetectionSet.Classes, model.ClassNames!.ToArray());
    }

    [TestMethod]
    [Timeout(60_000)]
    public void ListsPolygonsAndRepeatedLinesReadAsUltralyticsReadsThem()
    {
        var rows = WriteSplit("train", 4, seed: 3);
        var withBoxes = rows.First(r => r.Label.Length > 0);
        string labelFile = Path.Combine(Folder, "labels", "train", Path.GetFileNameWithoutExtension(withBoxes.ImagePath) + ".txt");
        var first = File.ReadAllLines(labelFile)[0];
        // The same object again (one object), and as a polygon of its four corners (the same box).
        var f = first.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        string polygon = string.Join(' ', new[] { f[0], f[1] - f[3] / 2, f[2] - f[4] / 2, f[1] + f[3] / 2, f[2] - f[4] / 2, f[1] + f[3] / 2, f[2] + f[4] / 2, f[1] - f[3] / 2, f[2] + f[4] / 2 }
            .Select((v, i) => i == 0 ? v.ToString(CultureInfo.InvariantCulture) : F(v)));
        File.AppendAllLines(labelFile, [first, "", polygon]);
        File.WriteAllLines(Path.Combine(Folder, "train.txt"), rows.Select(r => "./" + Path.GetRelativePath(Folder, r.ImagePath)));
        string yaml = Yaml("train: train.txt\nval: [images/train]\nnames: ['red', \"blue\"]\n");

        var dataset = DetectionDataset.ReadYolo(yaml);
        var row = dataset.Rows.Single(r => r.ImagePath == Path.GetFullPath(withBoxes.ImagePath));
        Assert.AreEqual(withBoxes.Label.Length + 1, row.Label.Length, "the repeated line is one object, the polygon another");
        for (int i = 0; i < 4; i++) Assert.AreEqual(row.BoundingBoxes[i], row.BoundingBoxes[^(4 - i)], 1e-3f, "the polygon's box is the line's box");
        Assert.AreEqual(rows.Count, DetectionDataset.ReadYolo(yaml, "val").Rows.Count);
    }

    [TestMethod]
    [Timeout(60_000)]
    [DataRow("0 0.5 0.5 0.2", "4 values; expected 5")]
    [DataRow("0 0.5 0.5 0.2 0.2 0.1", "6 values; expected 5")]
    [DataRow("0 0.5 1.2 0.2 0.2", "value 3 (1.2) is outside 0..1")]
    [DataRow("2 0.5 0.5 0.2 0.2", "class '2' is not one of the 2 classes")]
    [DataRow("0.5 0.5 0.5 0.2 0.2", "class '0.5' is not one of the 2 classes")]
    [DataRow("0 0.5 abc 0.2 0.2", "value 3 ('abc') is not a number")]
    [DataRow("0 0.5 0.5 0 0.2", "the box has no area")]
    public void ABadLabelLineFailsNamingItsFileAndLine(string line, string reason)
    {
        var rows = WriteSplit("train", 3, seed: 4);
        string labelFile = Path.Combine(Folder, "labels", "train", Path.GetFileNameWithoutExtension(rows[1].ImagePath) + ".txt");
        var lines = File.Exists(labelFile) ? File.ReadAllLines(labelFile).ToList() : [];
        lines.Add(line);
        File.WriteAllLines(labelFile, lines);
        string yaml = Yaml("train: images/train\nnames: [red, blue]\n");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadFromYoloDataset(yaml));
        StringAssert.Contains(e.Message, $"{labelFile}:{lines.Count}: ");
        StringAssert.Contains(e.Message, reason);
    }

    [TestMethod]
    [Timeout(60_000)]
    public void BadYamlMissingImagesAndMissingSplitsSayWhere()
    {
        var rows = WriteSplit("train", 2, seed: 5);
        var ml = new MLContext();
        string yaml = Yaml("train: images/train\nnames: [red, blue]\n");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadFromYoloDataset(yaml, "val"));
        StringAssert.Contains(e.Message, "no 'val' entry");

        yaml = Yaml("train: images/missing\nnames: [red, blue]\n");
        e = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadFromYoloDataset(yaml));
        StringAssert.Contains(e.Message, $"{yaml}:1: 'images/missing' is not a folder or file");

        File.WriteAllLines(Path.Combine(Folder, "train.txt"), [Path.GetRelativePath(Folder, rows[0].ImagePath), "images/train/gone.png"]);
        yaml = Yaml("train: train.txt\nnames: [red, blue]\n");
        e = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadFromYoloDataset(yaml));
        StringAssert.Contains(e.Message, $"{Path.Combine(Folder, "train.txt")}:2: the image 'images/train/gone.png' does not exist");

        yaml = Yaml("train: images/train\nnames:\n  0: red\n  2: blue\n");
        e = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadFromYoloDataset(yaml));
        StringAssert.Contains(e.Message, "should run 0..1 without gaps");

        yaml = Yaml("train: images/train\nnames: [red, blue\n");
        e = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadFromYoloDataset(yaml));
        StringAssert.Contains(e.Message, "not valid YAML");

        File.WriteAllBytes(Path.Combine(Folder, "images", "train", "broken.png"), [1, 2, 3]);
        yaml = Yaml("train: images/train\nnames: [red, blue]\n");
        e = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadFromYoloDataset(yaml));
        StringAssert.Contains(e.Message, "broken.png' is not an image");

        Assert.ThrowsExactly<FileNotFoundException>(() => ml.Data.LoadFromYoloDataset(Path.Combine(Folder, "nothing.yaml")));
    }
}
