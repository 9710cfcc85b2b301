namespace MLNet.CSP.Models.Layers;

/// <summary>A module that can fold its BatchNorms into the preceding convolutions for inference.</summary>
internal interface IFoldable
{
    /// <summary>Builds the folded inference weights from the current parameters.</summary>
    void Fold();

    /// <summary>Drops the folded weights (training, or parameters changed).</summary>
    void Unfold();
}
