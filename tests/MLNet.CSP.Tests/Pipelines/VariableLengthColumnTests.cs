using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Imaging;
using MLNet.CSP.Models;
using MLNet.CSP.Pipelines.Data;
using TorchSharp;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>The appending data view serves columns whose length differs per row (a detector's boxes) beside fixed ones.</summary>
[TestClass]
public sealed class VariableLengthColumnTests
{
    private sealed class Row
    {
        [ImageType(16, 16)]
        public MLImage? Image { get; set; }

        public int Id { get; set; }
    }

    [TestMethod]
    public void EachRowGetsItsOwnNumberOfValuesInBatchesOfAnySize()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 7).Select(i => new Row
        {
            Image = MLImage.CreateFromPixels(16, 16, MLPixelFormat.Rgba32, Enumerable.Repeat((byte)(30 * i), 16 * 16 * 4).ToArray()),
            Id = i,
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var preprocessing = ImagePreprocessing.FromPretrained(Backbones.GetConfig("cs3darknet_s").Pretrained, 16, 1.0, null, null, null);
        var kind = ImageColumn.Check(data.Schema, "Image");
        const int capacity = 6;
        var mapping = new ColumnMapping(data.Schema, "Image", kind,
            [AppendedColumn.VariableVector("Boxes", 0, capacity), AppendedColumn.Vector("Fixed", capacity + 1, 2)]);
        Assert.IsFalse(((VectorDataViewType)mapping.OutputSchema["Boxes"].Type).IsKnownSize, "Variable-length vector type.");

        int next = 0; // compute sees the rows in order: row r gets r % 4 values r, r + 0.25, ...
        void Compute(torch.Tensor images, IReadOnlyList<(int Width, int Height)> sizes, Span<float> destination)
        {
            Assert.IsTrue(sizes.Count == images.shape[0] && sizes.All(s => s == (16, 16)), "Each row's original size comes with it.");
            for (int r = 0; r < images.shape[0]; r++, next++)
            {
                var slot = destination.Slice(r * mapping.ValuesPerRow, mapping.ValuesPerRow);
                int count = next % 4;
                slot[0] = count;
                for (int k = 0; k < count; k++) slot[1 + k] = next + 0.25f * k;
                slot[capacity + 1] = next;
                slot[capacity + 2] = -next;
            }
        }

        foreach (int batchSize in new[] { 1, 3, 7 })
        {
            var view = new AppendingDataView(data, mapping, batchSize, new RowComputation(image => ImageTensors.Preprocess(image, preprocessing), Compute));
            next = 0;
            var boxes = view.GetColumn<float[]>("Boxes").ToList();
            next = 0;
            var fixedValues = view.GetColumn<float[]>("Fixed").ToList();
            var ids = view.GetColumn<int>("Id").ToList();
            CollectionAssert.AreEqual(Enumerable.Range(0, 7).ToList(), ids);
            for (int i = 0; i < 7; i++)
            {
                CollectionAssert.AreEqual(Enumerable.Range(0, i % 4).Select(k => i + 0.25f * k).ToArray(), boxes[i], $"Row {i}, batch size {batchSize}.");
                CollectionAssert.AreEqual(new float[] { i, -i }, fixedValues[i]);
            }
        }
    }
}
