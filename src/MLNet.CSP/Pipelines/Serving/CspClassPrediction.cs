namespace MLNet.CSP.Pipelines.Serving;

/// <summary>A classifier's answer for one image: every class's probability, best first.</summary>
public sealed class CspClassPrediction
{
    internal CspClassPrediction(float[] scores, IReadOnlyList<string>? classNames)
    {
        Scores = scores;
        Ranked = Enumerable.Range(0, scores.Length)
            .Select(i => new CspClassScore(classNames is { } names && i < names.Count ? names[i] : i.ToString(System.Globalization.CultureInfo.InvariantCulture), i, scores[i]))
            .OrderByDescending(s => s.Score).ThenBy(s => s.Index).ToArray();
    }

    /// <summary>Probabilities in class (key) order, as the transformer's <c>Score</c> column.</summary>
    public IReadOnlyList<float> Scores { get; }

    /// <summary>Every class, most probable first (ties by index).</summary>
    public IReadOnlyList<CspClassScore> Ranked { get; }

    /// <summary>The most probable class (the transformer's <c>PredictedLabel</c>).</summary>
    public CspClassScore Best => Ranked[0];

    /// <summary>The <paramref name="count"/> most probable classes.</summary>
    public IReadOnlyList<CspClassScore> Top(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return Ranked.Take(count).ToArray();
    }
}
