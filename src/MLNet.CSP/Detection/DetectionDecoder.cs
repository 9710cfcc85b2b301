namespace MLNet.CSP.Detection;

/// <summary>
/// Turns the head's maps into detections: every cell's box, score = sigmoid(objectness) x sigmoid(class logit) per
/// class, those at or above the score threshold (at most <see cref="MaxCandidates"/> per image, best first), then NMS per
/// class, boxes clipped to the input.
/// </summary>
public sealed class DetectionDecoder
{
    /// <summary>Candidates per image kept for NMS.</summary>
    public const int MaxCandidates = 3000;

    /// <summary>Creates a decoder.</summary>
    public DetectionDecoder(AnchorBoxes anchors, int numClasses, float scoreThreshold = 0.25f, float iouThreshold = 0.45f, int maxDetections = 100)
    {
        Anchors = anchors ?? throw new ArgumentNullException(nameof(anchors));
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        if (!(scoreThreshold >= 0 && scoreThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(scoreThreshold), scoreThreshold, "The score threshold must be in [0, 1].");
        if (!(iouThreshold >= 0 && iouThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "The NMS IoU threshold must be in [0, 1].");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDetections, 1);
        (NumClasses, ScoreThreshold, IouThreshold, MaxDetections) = (numClasses, scoreThreshold, iouThreshold, maxDetections);
    }

    /// <summary>The anchors the head was trained with.</summary>
    public AnchorBoxes Anchors { get; }

    /// <summary>Object classes.</summary>
    public int NumClasses { get; }

    /// <summary>Lowest score kept.</summary>
    public float ScoreThreshold { get; }

    /// <summary>NMS IoU threshold.</summary>
    public float IouThreshold { get; }

    /// <summary>Most detections per image.</summary>
    public int MaxDetections { get; }

    /// <summary>Detections of each image of the batch, boxes in input pixels clipped to <paramref name="width"/> x <paramref name="height"/>.</summary>
    public IReadOnlyList<IReadOnlyList<ScoredBox>> Decode(IReadOnlyList<Tensor> outputs, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var boxes = new List<Tensor>();
        var scores = new List<Tensor>();
        for (int s = 0; s < outputs.Count; s++)
        {
            var p = YoloGrid.PerAnchor(outputs[s].to(ScalarType.Float32), AnchorBoxes.PerScale);
            long n = p.shape[0];
            boxes.Add(YoloGrid.ToCorners(YoloGrid.DecodeAll(p, Anchors.OfScale(s), DetectionNeck.OutputStrides[s])).reshape(n, -1, 4));
            scores.Add((p[TensorIndex.Ellipsis, 4..5].sigmoid() * p[TensorIndex.Ellipsis, 5..].sigmoid()).reshape(n, -1, NumClasses));
        }
        var allBoxes = torch.cat(boxes, 1).cpu();
        allBoxes[TensorIndex.Ellipsis, 0].clamp_(0, width);
        allBoxes[TensorIndex.Ellipsis, 2].clamp_(0, width);
        allBoxes[TensorIndex.Ellipsis, 1].clamp_(0, height);
        allBoxes[TensorIndex.Ellipsis, 3].clamp_(0, height);
        var allScores = torch.cat(scores, 1).cpu();
        var results = new List<IReadOnlyList<ScoredBox>>((int)allBoxes.shape[0]);
        for (int b = 0; b < allBoxes.shape[0]; b++)
        {
            var flatScores = allScores[b].reshape(-1);
            var above = (flatScores >= ScoreThreshold).nonzero().view(-1);
            if (above.shape[0] == 0)
            {
                results.Add([]);
                continue;
            }
            if (above.shape[0] > MaxCandidates)
            {
                var top = flatScores.index_select(0, above).topk(MaxCandidates).indexes;
                above = above.index_select(0, top);
            }
            long[] picks = above.data<long>().ToArray();
            float[] candidateScores = flatScores.index_select(0, above).data<float>().ToArray();
            float[] corners = allBoxes[b].index_select(0, above.div(NumClasses, rounding_mode: RoundingMode.floor)).data<float>().ToArray();
            var candidates = new ScoredBox[picks.Length];
            for (int i = 0; i < picks.Length; i++)
                candidates[i] = new ScoredBox(new BoundingBox(corners[4 * i], corners[4 * i + 1], corners[4 * i + 2], corners[4 * i + 3]),
                    (int)(picks[i] % NumClasses), candidateScores[i]);
            results.Add(NonMaximumSuppression.Apply(candidates, IouThreshold, MaxDetections));
        }
        return results;
    }
}
