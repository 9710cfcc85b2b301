using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines.Datasets;
using MLNet.CSP.Tests.Detection;

namespace MLNet.CSP.Tests.Datasets;

/// <summary>
/// <c>LoadFromCocoDetection</c> on instances files written here from boxes known in pixels: category ids with gaps map to
/// named keys, crowd boxes are left out, images without annotations are negatives, and every bad entry fails naming the
/// file, the element and its id.
/// </summary>
[TestClass]
public sealed class CocoDetectionTests : TempDirectoryTest
{
    private static readonly Dictionary<string, int> CategoryIds = new() { ["red"] = 7, ["blue"] = 3 };

    /// <summary>An instances file for the rows (file names relative to <see cref="TempDirectoryTest.Folder"/>/images).</summary>
    private (List<DetectionRow> Rows, JsonObject Json) Write(int count)
    {
        string images = Directory.CreateDirectory(Path.Combine(Folder, "images", "sub")).FullName;
        var rows = SyntheticDetectionSet.Write(images, count, seed: 11);
        var imageArray = new JsonArray();
        var annotations = new JsonArray();
        int annotationId = 100;
        for (int i = 0; i < rows.Count; i++)
        {
            using var codec = SkiaSharp.SKCodec.Create(rows[i].ImagePath);
            imageArray.Add(new JsonObject { ["id"] = 1000 + i, ["file_name"] = $"sub/{Path.GetFileName(rows[i].ImagePath)}", ["width"] = codec.Info.Width, ["height"] = codec.Info.Height });
            for (int b = 0; b < rows[i].Label.Length; b++)
            {
                var box = rows[i].BoundingBoxes.AsSpan(4 * b, 4);
                annotations.Add(new JsonObject
                {
                    ["id"] = annotationId++, ["image_id"] = 1000 + i, ["category_id"] = CategoryIds[rows[i].Label[b]], ["iscrowd"] = 0,
                    ["bbox"] = new JsonArray(box[0], box[1], box[2] - box[0], box[3] - box[1]), ["area"] = (box[2] - box[0]) * (box[3] - box[1]),
                });
            }
        }
        var json = new JsonObject
        {
            ["images"] = imageArray, ["annotations"] = annotations,
            ["categories"] = new JsonArray(new JsonObject { ["id"] = 7, ["name"] = "red" }, new JsonObject { ["id"] = 3, ["name"] = "blue" }),
        };
        return (rows, json);
    }

    private string Save(JsonObject json)
    {
        string path = Path.Combine(Folder, "instances.json");
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    [TestMethod]
    [Timeout(60_000)]
    public void AnInstancesFileLoadsWithNamedKeysInCategoryIdOrder()
    {
        var (rows, json) = Write(8);
        Assert.IsTrue(rows.Any(r => r.Label.Length == 0), "the set has a negative");
        // A crowd region is left out of training, as COCO's recipes do.
        json["annotations"]!.AsArray().Add(new JsonObject { ["id"] = 5, ["image_id"] = 1000, ["category_id"] = 3, ["iscrowd"] = 1, ["bbox"] = new JsonArray(1, 1, 10, 10) });
        var ml = new MLContext();
        var data = ml.Data.LoadFromCocoDetection(Save(json), Path.Combine(Folder, "images"));

        VBuffer<ReadOnlyMemory<char>> names = default;
        data.Schema["Label"].GetKeyValues(ref names);
        CollectionAssert.AreEqual(new[] { "blue", "red" }, names.DenseValues().Select(n => n.ToString()).ToArray(), "keys follow the category ids 3, 7");
        var paths = data.GetColumn<string>("ImagePath").ToArray();
        var labels = data.GetColumn<VBuffer<uint>>("Label").Select(v => v.DenseValues().ToArray()).ToArray();
        var boxes = data.GetColumn<VBuffer<float>>("BoundingBoxes").Select(v => v.DenseValues().ToArray()).ToArray();
        var sorted = rows.OrderBy(r => Path.GetFullPath(r.ImagePath), StringComparer.Ordinal).ToList();
        Assert.AreEqual(sorted.Count, paths.Length);
        for (int r = 0; r < sorted.Count; r++)
        {
            Assert.AreEqual(Path.GetFullPath(sorted[r].ImagePath), paths[r]);
            CollectionAssert.AreEqual(sorted[r].Label.Select(n => n == "blue" ? 1u : 2u).ToArray(), labels[r], $"row {r}");
            CollectionAssert.AreEqual(sorted[r].BoundingBoxes, boxes[r], $"row {r}");
        }
        Assert.IsInstanceOfType<ImageDataViewType>(data.Schema["Image"].Type);
        Assert.AreEqual(160, data.GetColumn<Microsoft.ML.Data.MLImage>("Image").Select(i => i.Width).First());
    }

    [TestMethod]
    [Timeout(60_000)]
    [DataRow("duplicate image", "images[1]: the image id 1000 appears twice")]
    [DataRow("duplicate annotation", "the annotation id 100 appears twice")]
    [DataRow("unknown category", "category_id 9 is not in 'categories'")]
    [DataRow("unknown image", "image_id 77 is not in 'images'")]
    [DataRow("missing file", "images[0] (id 1000): the image 'sub/gone.png' is not in")]
    [DataRow("outside", "reaches outside its")]
    [DataRow("three values", "'bbox' should be 4 numbers")]
    [DataRow("no area", "the box has no area")]
    [DataRow("duplicate category", "categories[2]: the category id 3 appears twice")]
    public void ABadEntryFailsNamingTheFileAndElement(string fault, string reason)
    {
        var (_, json) = Write(8);
        var annotations = json["annotations"]!.AsArray();
        var first = annotations[0]!.AsObject();
        switch (fault)
        {
            case "duplicate image": json["images"]![1]!["id"] = 1000; break;
            case "duplicate annotation": annotations.Add(JsonNode.Parse(first.ToJsonString())); break;
            case "unknown category": first["category_id"] = 9; break;
            case "unknown image": first["image_id"] = 77; break;
            case "missing file": json["images"]![0]!["file_name"] = "sub/gone.png"; break;
            case "outside": first["bbox"] = new JsonArray(150, 10, 30, 10); break;
            case "three values": first["bbox"] = new JsonArray(1, 2, 3); break;
            case "no area": first["bbox"] = new JsonArray(1, 2, 0, 3); break;
            case "duplicate category": json["categories"]!.AsArray().Add(new JsonObject { ["id"] = 3, ["name"] = "green" }); break;
        }
        string file = Save(json);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadFromCocoDetection(file, Path.Combine(Folder, "images")));
        StringAssert.StartsWith(e.Message, file + ": ");
        StringAssert.Contains(e.Message, reason);
    }

    [TestMethod]
    [Timeout(60_000)]
    public void BrokenJsonNamesItsLine()
    {
        Write(1);
        string file = Path.Combine(Folder, "instances.json");
        File.WriteAllText(file, "{\n  \"images\": [\n    {\"id\": 1,, }\n  ]\n}");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadFromCocoDetection(file, Path.Combine(Folder, "images")));
        StringAssert.Contains(e.Message, $"{file}:3: not valid JSON");
        Assert.ThrowsExactly<FileNotFoundException>(() => new MLContext().Data.LoadFromCocoDetection(Path.Combine(Folder, "none.json"), Folder));
    }
}
