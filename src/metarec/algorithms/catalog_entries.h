// Internal to the catalog: the factory helper and the per-family lists that catalog.cc joins
// into the one catalog (split by family so each file stays readable).
#pragma once

#include <metarec/algorithms/catalog.h>

#include <functional>
#include <memory>
#include <vector>

namespace metarec::detail {

template <typename T>
std::function<std::unique_ptr<Recommender>(const Params&)> factory() {
  return [](const Params& p) { return std::make_unique<T>(p); };
}

/// Neighbourhood models, matrix factorization for ratings, ALS and the other rating models.
void add_rating_models(std::vector<AlgorithmInfo>& c);
/// Implicit-feedback factor models, factorization machines, linear and graph item-item models.
void add_ranking_models(std::vector<AlgorithmInfo>& c);
/// Neural models: the NCF family (GMF, MLP, NeuMF).
void add_neural_models(std::vector<AlgorithmInfo>& c);
/// Deep CTR models over the FM's sparse features: Wide&Deep, DeepFM, NFM, xDeepFM.
void add_deep_ctr_models(std::vector<AlgorithmInfo>& c);
/// The Boltzmann family: RBMs for collaborative filtering and CF-NADE.
void add_boltzmann_models(std::vector<AlgorithmInfo>& c);
/// Autoencoders: Mult-VAE, Mult-DAE, I-AutoRec and U-AutoRec.
void add_autoencoder_models(std::vector<AlgorithmInfo>& c);
/// Models built on side information: content-based filtering and the two-tower model.
void add_content_models(std::vector<AlgorithmInfo>& c);

}  // namespace metarec::detail
