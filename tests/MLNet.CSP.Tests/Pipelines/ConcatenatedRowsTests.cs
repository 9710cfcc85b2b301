using MLNet.CSP.Pipelines.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines.Data;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>The view that puts a search's training and validation rows together for its final fit.</summary>
[TestClass]
public sealed class ConcatenatedRowsTests
{
    private sealed class Row
    {
        public string Name { get; set; } = "";
        public float Value { get; set; }
        public int Extra { get; set; }
    }

    private sealed class OtherRow
    {
        public string Name { get; set; } = "";
        public double Value { get; set; }
    }

    [TestMethod]
    public void RowsOfEachSourceFollowInOrderForTheSharedColumns()
    {
        var ml = new MLContext(seed: 1);
        var first = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 5).Select(i => new Row { Name = $"a{i}", Value = i, Extra = i }).ToList());
        var second = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 3).Select(i => new Row { Name = $"b{i}", Value = 10 + i, Extra = -i }).ToList());
        var keys = ml.Transforms.Conversion.MapValueToKey("Key", "Name").Fit(first);
        var view = ConcatenatedRowsView.Create(ml, ["Name", "Value"], first, second);

        Assert.AreEqual(8L, view.GetRowCount());
        Assert.HasCount(2, view.Schema, "Only the named columns.");
        CollectionAssert.AreEqual(new[] { "a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2" }, view.GetColumn<string>("Name").ToArray());
        CollectionAssert.AreEqual(new float[] { 0, 1, 2, 3, 4, 10, 11, 12 }, view.GetColumn<float>("Value").ToArray());
        using (var cursor = view.GetRowCursor([view.Schema["Value"]]))
        {
            Assert.IsTrue(cursor.IsColumnActive(view.Schema["Value"]));
            Assert.IsFalse(cursor.IsColumnActive(view.Schema["Name"]));
            Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<string>(view.Schema["Name"]));
            long rows = 0;
            while (cursor.MoveNext()) Assert.AreEqual(rows++, cursor.Position);
            Assert.AreEqual(8L, rows);
        }
        // Key annotations (class names) come from the first source, as a trainer reads them.
        var keyed = ConcatenatedRowsView.Create(ml, ["Key"], keys.Transform(first), keys.Transform(first));
        VBuffer<ReadOnlyMemory<char>> names = default;
        keyed.Schema["Key"].GetKeyValues(ref names);
        Assert.AreEqual(5, names.Length);
        CollectionAssert.AreEqual(new uint[] { 1, 2, 3, 4, 5, 1, 2, 3, 4, 5 }, keyed.GetColumn<uint>("Key").ToArray());
    }

    [TestMethod]
    public void AMissingOrDifferentlyTypedColumnIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var first = ml.Data.LoadFromEnumerable(new[] { new Row { Name = "a", Value = 1 } });
        var other = ml.Data.LoadFromEnumerable(new[] { new OtherRow { Name = "b", Value = 2 } });
        var typed = Assert.Throws<ArgumentOutOfRangeException>(() => ConcatenatedRowsView.Create(ml, ["Name", "Value"], first, other));
        StringAssert.Contains(typed.Message, "Schema mismatch for column 'Value' in data set 2: expected Single, got Double");
        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => ConcatenatedRowsView.Create(ml, ["Extra"], first, other));
        StringAssert.Contains(missing.Message, "Column 'Extra' not found in data set 2");
    }
}
