using MLNet.CSP.Detection.Evaluation;

namespace Microsoft.ML;

/// <summary>MLNet.CSP evaluation on <c>mlContext.MulticlassClassification</c>.</summary>
public static class CspEvaluationCatalog
{
    /// <summary>
    /// COCO box metrics (pycocotools' COCOeval: mAP@[.50:.95], AP50, AP75, by area, AR@1/10/100, AP per class) of a
    /// detector's output against the ground truth in the same rows.
    /// </summary>
    /// <param name="catalog">The multiclass catalog.</param>
    /// <param name="data">Scored data: ground-truth and predicted columns side by side (a detector's <c>Transform</c> output).</param>
    /// <param name="labelColumnName">Ground truth: a key per box.</param>
    /// <param name="boundingBoxColumnName">Ground truth: x0, y0, x1, y1 per box.</param>
    /// <param name="predictedLabelColumnName">Detections: a key per detection.</param>
    /// <param name="scoreColumnName">Detections: a score per detection.</param>
    /// <param name="predictedBoundingBoxColumnName">Detections: x0, y0, x1, y1 per detection.</param>
    public static CocoMetrics EvaluateCspObjectDetection(this MulticlassClassificationCatalog catalog, IDataView data,
        string labelColumnName = "Label", string boundingBoxColumnName = "BoundingBoxes", string predictedLabelColumnName = "PredictedLabel",
        string scoreColumnName = "Score", string predictedBoundingBoxColumnName = "PredictedBoundingBoxes")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        var names = new[] { labelColumnName, boundingBoxColumnName, predictedLabelColumnName, scoreColumnName, predictedBoundingBoxColumnName };
        var columns = names.Select(n => data.Schema.GetColumnOrNull(n) ?? throw new ArgumentOutOfRangeException(nameof(data), $"Could not find column '{n}'")).ToArray();
        var truth = new List<IReadOnlyList<LabeledBox>>();
        var found = new List<IReadOnlyList<ScoredBox>>();
        using var cursor = data.GetRowCursor(columns);
        var labels = cursor.GetGetter<VBuffer<uint>>(columns[0]);
        var boxes = cursor.GetGetter<VBuffer<float>>(columns[1]);
        var predicted = cursor.GetGetter<VBuffer<uint>>(columns[2]);
        var scores = cursor.GetGetter<VBuffer<float>>(columns[3]);
        var predictedBoxes = cursor.GetGetter<VBuffer<float>>(columns[4]);
        VBuffer<uint> l = default, p = default;
        VBuffer<float> b = default, s = default, pb = default;
        while (cursor.MoveNext())
        {
            labels(ref l);
            boxes(ref b);
            predicted(ref p);
            scores(ref s);
            predictedBoxes(ref pb);
            truth.Add(Read(l.DenseValues().ToArray(), b.DenseValues().ToArray(), null, cursor.Position, labelColumnName, boundingBoxColumnName)
                .Select(x => new LabeledBox(x.Box, x.Label)).ToList());
            found.Add(Read(p.DenseValues().ToArray(), pb.DenseValues().ToArray(), s.DenseValues().ToArray(), cursor.Position, predictedLabelColumnName, predictedBoundingBoxColumnName));
        }
        return CocoEvaluator.Evaluate(truth, found);
    }

    private static List<ScoredBox> Read(uint[] keys, float[] coordinates, float[]? scores, long row, string labelColumn, string boxColumn)
    {
        if (coordinates.Length != 4 * keys.Length || (scores is not null && scores.Length != keys.Length))
            throw new InvalidDataException($"Row {row}: '{boxColumn}' has {coordinates.Length} values for {keys.Length} keys in '{labelColumn}'; expected four per key.");
        var result = new List<ScoredBox>(keys.Length);
        for (int i = 0; i < keys.Length; i++)
        {
            if (keys[i] == 0) throw new InvalidDataException($"Row {row}: key {i} in '{labelColumn}' is missing (0); map every label with the training's MapValueToKey.");
            result.Add(new ScoredBox(new BoundingBox(coordinates[4 * i], coordinates[4 * i + 1], coordinates[4 * i + 2], coordinates[4 * i + 3]),
                (int)keys[i] - 1, scores?[i] ?? 1f));
        }
        return result;
    }
}
