using MLNet.CSP.Pipelines.Serving;

namespace MLNet.CSP.Web;

/// <summary>The JSON answers of <c>/predict</c>.</summary>
public static class Answers
{
    /// <summary>A class and its probability.</summary>
    public sealed record ClassScore(string Label, float Score);

    /// <summary>A classifier's answer: the best class, its probability, the top classes.</summary>
    public sealed record Classification(string Label, float Score, IReadOnlyList<ClassScore> Top);

    /// <summary>A detected object: class, confidence, corners in the image's pixels.</summary>
    public sealed record Box(string Label, float Score, float X0, float Y0, float X1, float Y1);

    /// <summary>A detector's answer: the objects found, best first.</summary>
    public sealed record Detections(IReadOnlyList<Box> Boxes);

    public static Classification From(CspClassPrediction prediction, int top) =>
        new(prediction.Best.Label, prediction.Best.Score, prediction.Top(top).Select(c => new ClassScore(c.Label, c.Score)).ToArray());

    public static Detections From(IReadOnlyList<CspDetection> found) =>
        new(found.Select(d => new Box(d.Label, d.Score, d.Box.X0, d.Box.Y0, d.Box.X1, d.Box.Y1)).ToArray());
}
