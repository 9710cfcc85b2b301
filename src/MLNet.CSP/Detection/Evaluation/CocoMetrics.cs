namespace MLNet.CSP.Detection.Evaluation;

/// <summary>
/// The twelve numbers of pycocotools' <c>COCOeval.summarize()</c> for boxes, plus AP per class. A value is
/// <see cref="double.NaN"/> where COCO prints -1: no class has ground truth in that area range.
/// </summary>
/// <param name="MeanAveragePrecision">AP averaged over IoU 0.50:0.05:0.95, all areas, 100 detections per image (COCO's headline mAP).</param>
/// <param name="AveragePrecision50">AP at IoU 0.50 (mAP50).</param>
/// <param name="AveragePrecision75">AP at IoU 0.75.</param>
/// <param name="AveragePrecisionSmall">AP over IoU 0.50:0.95 for small objects (area below 32 x 32 pixels).</param>
/// <param name="AveragePrecisionMedium">AP over IoU 0.50:0.95 for medium objects (area 32 x 32 to 96 x 96).</param>
/// <param name="AveragePrecisionLarge">AP over IoU 0.50:0.95 for large objects (area above 96 x 96).</param>
/// <param name="AverageRecall1">Recall averaged over IoU 0.50:0.95 with at most 1 detection per image.</param>
/// <param name="AverageRecall10">The same with at most 10 detections per image.</param>
/// <param name="AverageRecall100">The same with at most 100 detections per image.</param>
/// <param name="AverageRecallSmall">AR@100 for small objects.</param>
/// <param name="AverageRecallMedium">AR@100 for medium objects.</param>
/// <param name="AverageRecallLarge">AR@100 for large objects.</param>
/// <param name="PerClassAveragePrecision">AP over IoU 0.50:0.95 (all areas, 100 detections) of each class that has ground truth, by class index.</param>
public sealed record CocoMetrics(
    double MeanAveragePrecision, double AveragePrecision50, double AveragePrecision75,
    double AveragePrecisionSmall, double AveragePrecisionMedium, double AveragePrecisionLarge,
    double AverageRecall1, double AverageRecall10, double AverageRecall100,
    double AverageRecallSmall, double AverageRecallMedium, double AverageRecallLarge,
    IReadOnlyDictionary<int, double> PerClassAveragePrecision)
{
    /// <summary>The metrics in the layout pycocotools prints, one line each.</summary>
    public override string ToString()
    {
        (bool Precision, string Iou, string Area, int MaxDets, double Value)[] lines =
        [
            (true, "0.50:0.95", "all", 100, MeanAveragePrecision), (true, "0.50", "all", 100, AveragePrecision50),
            (true, "0.75", "all", 100, AveragePrecision75), (true, "0.50:0.95", "small", 100, AveragePrecisionSmall),
            (true, "0.50:0.95", "medium", 100, AveragePrecisionMedium), (true, "0.50:0.95", "large", 100, AveragePrecisionLarge),
            (false, "0.50:0.95", "all", 1, AverageRecall1), (false, "0.50:0.95", "all", 10, AverageRecall10),
            (false, "0.50:0.95", "all", 100, AverageRecall100), (false, "0.50:0.95", "small", 100, AverageRecallSmall),
            (false, "0.50:0.95", "medium", 100, AverageRecallMedium), (false, "0.50:0.95", "large", 100, AverageRecallLarge),
        ];
        return string.Join(Environment.NewLine, lines.Select(l => Line(l.Precision, l.Iou, l.Area, l.MaxDets, l.Value)));
    }

    private static string Line(bool precision, string iou, string area, int maxDets, double value) =>
        FormattableString.Invariant($" {(precision ? "Average Precision" : "Average Recall"),-18} {(precision ? "(AP)" : "(AR)")} @[ IoU={iou,-9} | area={area,6} | maxDets={maxDets,3} ] = {(double.IsNaN(value) ? -1 : value):0.000}");
}
